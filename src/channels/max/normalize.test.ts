import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizedBy } from '../../../test/support/normalized.js';
import { parseJsonKeepingBigInts } from '../../core/safe-json.js';
import { normalizeMax } from './normalize.js';
import { errorSchema, updateSchema, updatesResponseSchema } from './schema.js';
import { vcardPhones } from './vcard.js';

const dir = fileURLToPath(new URL('../../../fixtures/max/', import.meta.url));
const fixture = (name: string): unknown => parseJsonKeepingBigInts(readFileSync(`${dir}${name}`, 'utf8'));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('MAX fixtures', () => {
  it.each(files.filter((f) => /^\d\d-/.test(f)))('%s parses with updateSchema', (f) => {
    expect(updateSchema.safeParse(fixture(f)).success).toBe(true);
  });
  // Every other file is an API answer named after its route: each must have the schema the client reads it with.
  // POST /subscriptions' `{"success":true}` is not read by the client (connect reports it as is).
  const answers = files.filter((f) => !/^\d\d-/.test(f) && !f.startsWith('subscriptions-'));
  it.each(answers)('%s parses with the client’s schema for its route', (f) => {
    if (f === 'updates.json') {
      const answer = updatesResponseSchema.parse(fixture(f));
      for (const u of answer.updates) expect(updateSchema.safeParse(u).error).toBeUndefined();
    } else if (/^messages-\d{3}-/.test(f)) {
      // An error answer: MAX's `{code, message}`.
      expect(errorSchema.parse(fixture(f))).toEqual({
        code: expect.any(String),
        message: expect.any(String),
      });
    } else expect.fail(`no schema for fixtures/max/${f}`);
  });
  it('answers parse with their schemas; 64-bit integers keep every digit', () => {
    const updates = updatesResponseSchema.parse(fixture('updates.json'));
    expect(updates.marker).toBe('8812399');
    expect(updates.updates).toHaveLength(1);
    expect(errorSchema.parse(fixture('messages-400-attachment-not-ready.json')).code).toBe(
      'attachment.not.ready',
    );
    expect(errorSchema.parse(fixture('messages-403-denied.json')).code).toBe('chat.denied');
    const u = updateSchema.parse(fixture('01-message-created.json'));
    expect(u.message?.body.seq).toBe('115600785883425360');
  });
});

const { run, only } = normalizedBy(normalizeMax, (f) => ({ account: 'shop', update: fixture(f as string) }));

describe('normalizeMax', () => {
  it('a dialog message is inbound, keyed by mid, threaded by chat id, sender id as a string', () => {
    expect(only('01-message-created.json')).toMatchObject({
      channel: 'max',
      externalId: 'mid.0000000004ba3a03019ab24d62566a52',
      direction: 'in',
      occurredAt: new Date(1767002400123),
      threadKey: 'chat:79313411',
      text: 'Здравствуйте! Доставка есть?',
      party: {
        name: 'Ирина К.',
        identities: [{ kind: 'max', account: 'shop', value: '18503461' }],
        hints: [],
      },
      meta: { max: { userId: '18503461', chatId: '79313411' } },
    });
  });

  it('the sender’s own contact card is a verified phone', () => {
    expect(only('02-message-contact.json').party.identities).toEqual([
      { kind: 'max', account: 'shop', value: '18503461' },
      { kind: 'phone', value: '79001234567' },
    ]);
  });

  it('an edit keeps the mid and carries the edit time', () => {
    const c = only('06-message-edited.json');
    expect(c.externalId).toBe('mid.0000000004ba3a03019ab24d62566a52');
    expect(c.revision).toEqual({ editedAt: new Date(1767002460000) });
  });

  it('location and files go to meta', () => {
    expect(only('08-message-location.json').meta?.max).toMatchObject({
      location: { latitude: 55.796127, longitude: 49.106414 },
      attachments: [{ type: 'file', name: 'ТЗ.pdf', size: 48213 }],
    });
  });

  it.each([
    ['03-bot-started.json', 'max_bot_started'],
    ['04-message-callback.json', 'max_callback'],
    ['05-bot-stopped.json', 'max_blocked'],
    ['07-message-group.json', 'skip_group_chat'],
  ])('%s is skipped by %s', (f, rule) => {
    const r = run(f);
    expect(r.communications).toEqual([]);
    expect(r.skipped).toEqual([expect.objectContaining({ rule })]);
  });

  it('a contact card of someone else is a hint', () => {
    const u = fixture('02-message-contact.json') as {
      message: { body: { attachments: { payload: { max_info: { user_id: number } } }[] } };
    };
    u.message.body.attachments[0]!.payload.max_info.user_id = 999;
    const r = normalizeMax({ account: 'shop', update: u });
    expect(r.ok && r.communications[0]?.party.hints).toEqual([{ kind: 'phone', value: '79001234567' }]);
  });

  it.each([[null], [{ account: 'shop', update: { update_type: 'message_created', timestamp: 1 } }]])(
    '%j is an error, not a throw',
    (p) => {
      expect(normalizeMax(p).ok).toBe(false);
    },
  );
});

describe('vcardPhones', () => {
  it.each([
    ['BEGIN:VCARD\r\nTEL;TYPE=cell:79001234567\r\nEND:VCARD', ['79001234567']],
    ['BEGIN:VCARD\nitem1.TEL:+7 900 123-45-67\nEND:VCARD', ['+7 900 123-45-67']],
    [
      'BEGIN:VCARD\r\nTEL;VALUE=uri:tel:+79001234567\r\nTEL:8 (900)\r\n  111-22-33\r\nEND:VCARD',
      ['+79001234567', '8 (900) 111-22-33'],
    ],
    ['BEGIN:VCARD\r\nFN:Без телефона\r\nEND:VCARD', []],
  ])('%j', (vcf, phones) => {
    expect(vcardPhones(vcf)).toEqual(phones);
  });
});
