import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseJsonKeepingBigInts } from '../../core/safe-json.js';
import { normalizeViber } from './normalize.js';
import { viberAnswerSchema, viberCallbackSchema } from './schema.js';

const text = (name: string) =>
  readFileSync(new URL(`../../../fixtures/viber/${name}`, import.meta.url), 'utf8');
const fixture = (name: string): unknown => parseJsonKeepingBigInts(text(name));
const stored = (name: string) => ({ account: 'bot', update: viberCallbackSchema.parse(fixture(name)) });

describe('Viber fixtures', () => {
  const files = readdirSync(new URL('../../../fixtures/viber/', import.meta.url)).filter((f) =>
    f.endsWith('.json'),
  );
  // API answers are named after the method (send_message-*.json); every other file is a callback.
  it.each(files)('%s parses with the schema the code uses for it', (name) => {
    const schema = name.startsWith('send_message-') ? viberAnswerSchema : viberCallbackSchema;
    expect(schema.safeParse(fixture(name)).error).toBeUndefined();
  });
  it('callbacks are named after their event', () => {
    for (const name of files.filter((f) => !f.startsWith('send_message-'))) {
      const event = viberCallbackSchema.parse(fixture(name)).event;
      expect(name.replace(/\.json$/, '').replace(/-.*$/, ''), name).toBe(event);
    }
  });

  it('send_message answers parse; message tokens keep every digit', () => {
    expect(viberAnswerSchema.parse(fixture('send_message-ok.json')).message_token).toBe(
      '5741311803571721087',
    );
    expect(viberAnswerSchema.parse(fixture('send_message-not-subscribed.json')).status).toBe(6);
    // What plain JSON.parse would have stored:
    expect(String(JSON.parse(text('webhook.json')).message_token)).not.toBe('5466394344559121456');
  });
});

describe('parseJsonKeepingBigInts', () => {
  it.each([
    ['{"a":5466394344559121456}', { a: '5466394344559121456' }],
    ['{"a":"5466394344559121456","b":12}', { a: '5466394344559121456', b: 12 }],
    ['[1.5e300, -12345678901234567890]', [1.5e300, '-12345678901234567890']],
    ['{"t":"quote \\" 12345678901234567890"}', { t: 'quote " 12345678901234567890' }],
  ])('%s', (input, expected) => {
    expect(parseJsonKeepingBigInts(input)).toEqual(expected);
  });
});

describe('normalizeViber', () => {
  it('a text message: inbound from the sender, keyed by the exact message token', () => {
    const result = normalizeViber(stored('message-text.json'));
    if (!result.ok) throw new Error(result.error);
    expect(result.communications[0]).toMatchObject({
      direction: 'in',
      externalId: '4912661846655238145',
      threadKey: 'user:01234567890A=',
      text: 'Здравствуйте, сколько стоит доставка?',
      party: {
        name: 'John McClane',
        identities: [{ kind: 'viber', account: 'bot', value: '01234567890A=' }],
      },
    });
  });

  it('a contact shared on our request: the phone first among the sender’s own identities', () => {
    const result = normalizeViber(stored('message-contact.json'));
    if (!result.ok) throw new Error(result.error);
    expect(result.communications[0]?.party).toEqual({
      name: 'John McClane',
      identities: [
        { kind: 'phone', value: '+380501234567' },
        { kind: 'viber', account: 'bot', value: '01234567890A=' },
      ],
      hints: [],
    });
  });

  it('someone else’s contact card is only a hint', () => {
    const payload = stored('message-contact.json');
    const update = payload.update as { message: { tracking_data?: string; contact: { name: string } } };
    update.message.tracking_data = undefined;
    update.message.contact.name = 'Мастер Сергей';
    const result = normalizeViber(payload);
    if (!result.ok) throw new Error(result.error);
    expect(result.communications[0]?.party.hints).toEqual([{ kind: 'phone', value: '+380501234567' }]);
    expect(result.communications[0]?.party.identities).toHaveLength(1);
  });

  it.each([
    ['webhook.json', 'viber_webhook'],
    ['conversation_started.json', 'viber_conversation_started'],
    ['subscribed.json', 'viber_subscribed'],
    ['unsubscribed.json', 'viber_unsubscribed'],
    ['delivered.json', 'viber_delivered'],
    ['seen.json', 'viber_seen'],
    ['failed.json', 'viber_failed'],
  ])('%s is acknowledged, not a lead (%s)', (name, rule) => {
    expect(normalizeViber(stored(name))).toMatchObject({ ok: true, communications: [], skipped: [{ rule }] });
  });
});
