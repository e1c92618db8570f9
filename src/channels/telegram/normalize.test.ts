import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startHttpRecorder } from '../../../test/support/http-recorder.js';
import { normalizedBy } from '../../../test/support/normalized.js';
import { createTelegramApi, telegramFailure } from './api.js';
import type { TelegramAccount } from './config.js';
import { normalizeTelegram } from './normalize.js';
import { apiResponseSchema, parseThreadKey, updateSchema } from './schema.js';

const dir = fileURLToPath(new URL('../../../fixtures/telegram-bot/', import.meta.url));
const fixture = (name: string): unknown => JSON.parse(readFileSync(`${dir}${name}`, 'utf8'));
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const updates = files.filter((f) => /^\d\d-/.test(f));

describe('Telegram fixtures', () => {
  it.each(updates)('%s parses with updateSchema', (f) => {
    expect(updateSchema.safeParse(fixture(f)).success).toBe(true);
  });
  it.each(files.filter((f) => !/^\d\d-/.test(f)))('%s parses with apiResponseSchema', (f) => {
    expect(apiResponseSchema.safeParse(fixture(f)).success).toBe(true);
  });
  // The code reads answers through grammY's client and telegramFailure: each answer, served for the method its
  // file is named after (with the HTTP status Telegram uses, = error_code), must come out as the file says.
  it.each(files.filter((f) => !/^\d\d-/.test(f)))('%s reads through the channel’s client', async (f) => {
    const answer = fixture(f) as {
      ok: boolean;
      result?: unknown;
      error_code?: number;
      description?: string;
      parameters?: { retry_after?: number };
    };
    const method = f.split('-')[0]!;
    const http = await startHttpRecorder();
    try {
      http.on(`POST /botT0KEN/${method}`, () => ({
        status: answer.ok ? 200 : answer.error_code!,
        headers: { 'content-type': 'application/json' },
        body: readFileSync(`${dir}${f}`),
      }));
      const api = createTelegramApi({
        token: 'T0KEN',
        apiRoot: http.url,
        timeoutSeconds: 5,
        polling: { timeoutSeconds: 0 },
      } as TelegramAccount);
      const call = (api.raw as unknown as Record<string, (p: object) => Promise<unknown>>)[method]!({});
      if (answer.ok) await expect(call).resolves.toEqual(answer.result);
      else {
        const failure = telegramFailure(
          await call.then(
            () => undefined,
            (e: unknown) => e,
          ),
        );
        // Flood control always says how long to wait (reference §1.4).
        if (answer.error_code === 429) expect(failure.retryAfter).toBeGreaterThan(0);
        expect(failure).toEqual({
          code: answer.error_code,
          description: answer.description,
          ...(answer.parameters?.retry_after !== undefined
            ? { retryAfter: answer.parameters.retry_after }
            : {}),
        });
      }
    } finally {
      await http.close();
    }
  });
});

const { run, only } = normalizedBy(normalizeTelegram, (f) => ({
  account: 'shop_bot',
  update: fixture(f as string),
}));

describe('normalizeTelegram', () => {
  it('a private text message is inbound, keyed by chat and message id', () => {
    const c = only('01-message-text.json');
    expect(c).toMatchObject({
      channel: 'telegram',
      account: 'shop_bot',
      externalId: '5123456789:1542',
      direction: 'in',
      occurredAt: new Date(1767002400 * 1000),
      threadKey: 'chat:5123456789',
      text: 'Здравствуйте! Доставка в Казань есть?',
      party: {
        name: 'Ирина К.',
        identities: [{ kind: 'telegram', account: 'shop_bot', value: '5123456789' }],
        hints: [],
      },
    });
    expect(c.revision).toBeUndefined();
  });

  it('an edit keeps the key and carries the edit time', () => {
    const c = only('02-edited-message.json');
    expect(c.externalId).toBe('5123456789:1542');
    expect(c.revision).toEqual({ editedAt: new Date(1767002460 * 1000) });
    expect(c.text).toContain('Набережные Челны');
  });

  it.each([
    [
      '03-message-photo.json',
      'вот такой',
      { attachments: [{ type: 'photo', fileId: 'AgACAgIAAxkBAAIGm3', width: 1280 }] },
    ],
    [
      '04-message-document.json',
      undefined,
      { attachments: [{ type: 'document', name: 'ТЗ.pdf', mimeType: 'application/pdf' }] },
    ],
    ['05-message-voice.json', undefined, { attachments: [{ type: 'voice', duration: 4 }] }],
    ['06-message-location.json', undefined, { location: { latitude: 55.796127, longitude: 49.106414 } }],
  ])('%s: text %s and meta', (f, text, meta) => {
    const c = only(f);
    expect(c.text).toBe(text);
    expect(c.meta?.telegram).toMatchObject(meta);
  });

  it('an own shared contact is a verified phone; someone else’s is a hint', () => {
    expect(only('07-message-contact-own.json').party).toMatchObject({
      identities: [{ kind: 'telegram' }, { kind: 'phone', value: '79001234567' }],
      hints: [],
    });
    expect(only('08-message-contact-other.json').party).toMatchObject({
      identities: [{ kind: 'telegram' }],
      hints: [{ kind: 'phone', value: '+79007654321' }],
    });
  });

  it.each([
    ['09-my-chat-member-kicked.json', 'telegram_blocked', 'update:804211372'],
    ['10-group-message.json', 'skip_group_chat', '-1001234567890:311'],
    ['11-business-connection.json', 'telegram_business_connection', 'update:804211380'],
    ['14-callback-query.json', 'telegram_callback', 'update:804211383'],
  ])('%s is skipped by %s', (f, rule, externalId) => {
    const r = run(f);
    expect(r.communications).toEqual([]);
    expect(r.skipped).toEqual([expect.objectContaining({ rule, externalId })]);
  });

  it('business chats: the client is inbound, the owner typing in Telegram is outbound, one thread', () => {
    const inbound = only('12-business-message.json');
    const owner = only('13-business-message-owner.json');
    expect([inbound.direction, owner.direction]).toEqual(['in', 'out']);
    expect(inbound.externalId).toBe('biz:Pj3Xn1dKQUAAAAAbcde:5123456789:88');
    expect(owner.threadKey).toBe(inbound.threadKey);
    expect(owner.party.identities).toEqual([{ kind: 'telegram', account: 'shop_bot', value: '5123456789' }]);
    expect(parseThreadKey(inbound.threadKey!)).toEqual({
      chatId: 5123456789,
      businessConnectionId: 'Pj3Xn1dKQUAAAAAbcde',
    });
  });

  it('a sent reply is outbound to the chat', () => {
    const r = normalizeTelegram({
      account: 'shop_bot',
      sent: {
        message_id: 1600,
        from: { id: 7000000001, is_bot: true, first_name: 'Shop' },
        chat: { id: 5123456789, type: 'private', first_name: 'Ирина' },
        date: 1767002700,
        text: 'Да, доставим завтра',
      },
    });
    expect(r.ok && r.communications[0]).toMatchObject({ direction: 'out', externalId: '5123456789:1600' });
  });

  it.each([[null], [{}], [{ account: 'shop_bot', update: { update_id: 'x' } }]])(
    '%j is an error, not a throw',
    (p) => {
      expect(normalizeTelegram(p).ok).toBe(false);
    },
  );
});
