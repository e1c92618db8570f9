import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConnect } from '../src/channels/connect.js';
import { ALLOWED_UPDATES } from '../src/channels/telegram/api.js';
import { createTelegram, telegramChannel } from '../src/channels/telegram/index.js';
import type { TestContext } from './support/context.js';
import { waitFor } from './support/email.js';
import { messengerTestContext, testPolling } from './support/messenger.js';
import { backends } from './support/pg.js';
import { startTelegramFake, type TelegramFake } from './support/telegram-fake.js';

const TOKEN = '7000000001:AAE-webhook-bot-token';
const POLL_TOKEN = '7000000002:AAE-polling-bot-token';
const SECRET = 'q7Vd_3kPz-9sLm2XcA0w';
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/telegram-bot/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

let updateId = 900000000;
/** A private-chat update from client `chatId` (a Telegram user id), shaped like fixtures/telegram-bot. */
function message(chatId: number, messageId: number, extra: Record<string, unknown> = {}, kind = 'message') {
  return {
    update_id: updateId++,
    [kind]: {
      message_id: messageId,
      from: { id: chatId, is_bot: false, first_name: 'Ирина', language_code: 'ru' },
      chat: { id: chatId, first_name: 'Ирина', type: 'private' },
      date: 1767002400,
      ...extra,
    },
  };
}

describe.each(backends())('Telegram channel on %s', (backend) => {
  let ctx: TestContext;
  let fake: TelegramFake;
  let waits: number[];
  beforeAll(async () => {
    fake = await startTelegramFake([TOKEN, POLL_TOKEN]);
    ({ ctx, waits } = await messengerTestContext(backend, 'telegram', createTelegram, {
      telegram: [
        {
          account: 'shop_bot',
          token: TOKEN,
          secret: SECRET,
          transport: 'webhook',
          apiRoot: fake.url,
          media: { hosts: ['127.0.0.1'], allowPrivateNetworks: true, maxBytes: 1000 },
        },
        {
          account: 'poll_bot',
          token: POLL_TOKEN,
          apiRoot: fake.url,
          ...testPolling,
        },
      ],
    }));
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  const post = (body: unknown, secret: string | null = SECRET, account = 'shop_bot') =>
    ctx.request('POST', `/webhooks/telegram/${account}`, undefined, {
      token: null,
      raw: typeof body === 'string' ? body : JSON.stringify(body),
      headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret },
    });
  const events = (externalId: string) =>
    ctx.db.sql<{ status: string; decision: { kind: string }[] | null; skipped: { rule: string }[] | null }[]>`
      SELECT status, decision, skipped FROM inbound_events WHERE source = 'telegram' AND external_id = ${externalId}
      ORDER BY received_at, id`;
  const conversationOf = async (threadKey: string) =>
    (
      await ctx.db.sql<{ id: string; contactId: string }[]>`
      SELECT id, contact_id FROM conversations WHERE channel = 'telegram' AND thread_key = ${threadKey}`
    )[0];

  it('refuses a missing (401) or wrong (403) secret and an unknown or polling account (404), storing nothing', async () => {
    const body = fixture('01-message-text.json');
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, 'wrong-secret')).status).toBe(403);
    expect((await post(body, SECRET, 'other_bot')).status).toBe(404);
    expect((await post(body, SECRET, 'poll_bot')).status).toBe(404);
    const [row] = await ctx.db.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM inbound_events WHERE source = 'telegram'`;
    expect(row!.n).toBe(0);
  });

  it('stores and decides a first message, asks for the phone once, and a retry is a duplicate', async () => {
    const body = fixture('01-message-text.json');
    expect(await post(body)).toEqual({ status: 200, body: { ok: true } });
    expect(await post(body)).toEqual({ status: 200, body: { ok: true } });
    const rows = await events('5123456789:1542');
    expect(rows.map((r) => r.decision?.[0]?.kind).sort()).toEqual(['duplicate', 'new_lead']);
    const asks = fake.callsOf('sendMessage').filter((c) => c.body.chat_id === 5123456789);
    expect(asks).toHaveLength(1);
    expect(asks[0]!.body.reply_markup).toMatchObject({
      keyboard: [[{ text: '📱 Отправить номер', request_contact: true }]],
      one_time_keyboard: true,
    });
    // A second message of the chat is not asked again.
    await post(message(5123456789, 1550, { text: 'Ещё вопрос' }));
    expect(fake.callsOf('sendMessage').filter((c) => c.body.chat_id === 5123456789)).toHaveLength(1);
  });

  it('a photo, a document and a voice message are copied with getFile; the token is never stored', async () => {
    const chat = 5123457001;
    const photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const pdf = Buffer.from('%PDF-1.4 прайс');
    fake.file(`AgAC-${chat}-big`, photo);
    fake.file(`BQAC-${chat}`, pdf);
    fake.file(`AwAC-${chat}`, Buffer.alloc(1001));
    await post(
      message(chat, 1, {
        caption: 'Прайс и фото',
        photo: [
          { file_id: `AgAC-${chat}-small`, file_unique_id: 's', width: 90, height: 60 },
          { file_id: `AgAC-${chat}-big`, file_unique_id: 'b', width: 1280, height: 853 },
        ],
        document: {
          file_id: `BQAC-${chat}`,
          file_unique_id: 'd',
          file_name: 'прайс.pdf',
          mime_type: 'application/pdf',
        },
        voice: { file_id: `AwAC-${chat}`, file_unique_id: 'v', duration: 3, mime_type: 'audio/ogg' },
      }),
    );
    await ctx.processor.drain();
    expect(await ctx.media.runOnce()).toBe(2);
    const rows = await ctx.db.sql<
      {
        kind: string;
        status: string;
        content: Buffer | null;
        contentType: string | null;
        sourceUrl: string | null;
      }[]
    >`
      SELECT mm.kind, mm.status, mm.content, mm.content_type, mm.source_url FROM message_media mm
      JOIN messages m ON m.id = mm.message_id WHERE m.channel = 'telegram' AND m.external_id = ${`${chat}:1`}
      ORDER BY mm.position`;
    expect(rows).toEqual([
      {
        kind: 'photo',
        status: 'stored',
        content: photo,
        contentType: 'application/octet-stream',
        sourceUrl: null,
      },
      { kind: 'file', status: 'stored', content: pdf, contentType: 'application/pdf', sourceUrl: null },
      { kind: 'voice', status: 'too_large', content: null, contentType: null, sourceUrl: null },
    ]);
    expect(fake.callsOf('getFile').map((c) => c.body.file_id)).toEqual(
      expect.arrayContaining([`AgAC-${chat}-big`, `BQAC-${chat}`, `AwAC-${chat}`]),
    );
    const [leak] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM message_media WHERE coalesce(last_error, '') LIKE ${`%${TOKEN}%`}`;
    expect(leak!.n).toBe(0);
  });

  it('an edit updates the stored message', async () => {
    await post(fixture('02-edited-message.json'));
    const [m] = await ctx.db.sql<{ body: string; meta: { editedAt?: string } }[]>`
      SELECT body, meta FROM messages WHERE channel = 'telegram' AND external_id = '5123456789:1542'`;
    expect(m!.body).toBe('Здравствуйте! Доставка в Казань и Набережные Челны есть?');
    expect(m!.meta.editedAt).toBe(new Date(1767002460 * 1000).toISOString());
    const [count] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM messages WHERE channel = 'telegram' AND external_id = '5123456789:1542'`;
    expect(count!.n).toBe(1);
  });

  it('skips a group message with a reason, and keeps a malformed update as rejected (400)', async () => {
    await post(fixture('10-group-message.json'));
    const [group] = await events('-1001234567890:311');
    expect(group).toMatchObject({
      status: 'processed',
      decision: [],
      skipped: [{ rule: 'skip_group_chat' }],
    });
    expect((await post('{"update_id": "not a number"}')).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    const rejected = await ctx.db.sql<{ lastError: string; raw: Buffer | null }[]>`
      SELECT last_error, raw FROM inbound_events WHERE source = 'telegram' AND status = 'rejected'`;
    expect(rejected.map((r) => [r.lastError.slice(0, 30), Buffer.from(r.raw!).toString()]).sort()).toEqual([
      ['malformed JSON: Expected prope', '{not json'],
      ['not a Telegram update: update_', '{"update_id": "not a number"}'],
    ]);
  });

  it('a text with NUL and a cut emoji is decided with the text cleaned; the raw bytes are kept exactly', async () => {
    const body = JSON.stringify(message(5300000009, 1, { text: 'Привет\u0000 \ud83d' }));
    expect(await post(body)).toEqual({ status: 200, body: { ok: true } });
    const [e] = await ctx.db.sql<{ status: string; raw: Buffer }[]>`
      SELECT status, raw FROM inbound_events WHERE source = 'telegram' AND external_id = '5300000009:1'`;
    expect(e!.status).toBe('processed');
    expect(Buffer.from(e!.raw).toString()).toBe(body);
    const [m] = await ctx.db.sql<{ body: string }[]>`
      SELECT body FROM messages WHERE channel = 'telegram' AND external_id = '5300000009:1'`;
    expect(m!.body).toBe('Привет \ufffd');
  });

  it('a shared own contact is a verified phone; the same person calling later is one contact', async () => {
    const chat = 5300000001;
    await post(message(chat, 1, { text: 'Добрый день' }));
    await post(
      message(chat, 2, { contact: { phone_number: '79161234501', first_name: 'Ирина', user_id: chat } }),
    );
    // Someone else's card is only a hint.
    await post(
      message(chat, 3, { contact: { phone_number: '79161234502', first_name: 'Олег', user_id: 42 } }),
    );
    const conv = await conversationOf(`chat:${chat}`);
    const ids = await ctx.db.sql<{ kind: string; value: string; verified: boolean; contactId: string }[]>`
      SELECT kind, value, verified, contact_id FROM identities WHERE contact_id = ${conv!.contactId} ORDER BY kind, value`;
    expect(ids.map((i) => [i.kind, i.value, i.verified])).toEqual([
      ['phone', '+79161234501', true],
      ['phone', '+79161234502', false],
      ['telegram', `shop_bot:${chat}`, true],
    ]);
    const call = await ctx.request('POST', '/api/v1/inbound', {
      channel: 'phone',
      account: 'pbx',
      externalId: `call-${backend}-1`,
      occurredAt: '2026-12-01T10:00:00+03:00',
      from: { phones: ['8 (916) 123-45-01'] },
      call: { state: 'answered', talkSeconds: 60 },
    });
    expect(call.status).toBe(200);
    expect(call.body.decision).toMatchObject({ kind: 'attached_to_lead', contactId: conv!.contactId });
  });

  it('replies with sendMessage and records it; honours 429 retry_after; a 403 is reported and later replies refused', async () => {
    const chat = 5300000002;
    await post(message(chat, 1, { text: 'Сколько стоит?' }));
    const conv = await conversationOf(`chat:${chat}`);
    const reply = (text: string, extra: Record<string, unknown> = {}) =>
      ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, { text, ...extra });

    const ok = await reply('12 000 ₽');
    expect(ok.status).toBe(201);
    const [out] = await ctx.db.sql<{ direction: string; body: string }[]>`
      SELECT direction, body FROM messages WHERE id = ${ok.body.messageId}`;
    expect(out).toEqual({ direction: 'out', body: '12 000 ₽' });

    fake.failNext('sendMessage', 429, 'Too Many Requests: retry after 7', { retry_after: 7 });
    waits.length = 0;
    const limited = await reply('Повторю: 12 000 ₽');
    expect(limited.status).toBe(201);
    expect(waits).toEqual([7000]);

    fake.failNext('sendDocument', 429, 'Too Many Requests: retry after 120', { retry_after: 120 });
    const tooLong = await reply('Счёт', { document: { url: 'https://files.example/invoice.pdf' } });
    expect(tooLong.status).toBe(502);
    expect(tooLong.body.error.message).toContain('retry after 120');
    const doc = await reply('Счёт', { document: { url: 'https://files.example/invoice.pdf' } });
    expect(doc.status).toBe(201);
    expect(fake.callsOf('sendDocument').at(-1)!.body).toMatchObject({
      chat_id: chat,
      document: 'https://files.example/invoice.pdf',
      caption: 'Счёт',
    });

    fake.failNext('sendMessage', 403, 'Forbidden: bot was blocked by the user');
    const blocked = await reply('Вы тут?');
    expect(blocked.status).toBe(502);
    expect(blocked.body.error.message).toContain('bot was blocked by the user');
    const refused = await reply('Ещё раз');
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('blocked the bot');
  });

  it('my_chat_member "kicked" blocks replies until the client restarts the bot', async () => {
    const chat = 5300000003;
    await post(message(chat, 1, { text: 'Привет' }));
    const conv = await conversationOf(`chat:${chat}`);
    const member = (status: string) => ({
      update_id: updateId++,
      my_chat_member: {
        chat: { id: chat, first_name: 'Ирина', type: 'private' },
        from: { id: chat, is_bot: false, first_name: 'Ирина' },
        date: 1767003000,
        old_chat_member: { user: { id: 7000000001, is_bot: true, first_name: 'Shop' }, status: 'member' },
        new_chat_member: { user: { id: 7000000001, is_bot: true, first_name: 'Shop' }, status },
      },
    });
    await post(member('kicked'));
    const refused = await ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, { text: 'Алло' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('the client blocked the bot');
    await post(member('member'));
    const ok = await ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, { text: 'Алло' });
    expect(ok.status).toBe(201);
  });

  it('business chats: the client is inbound, the owner typing in Telegram outbound, replies go through the connection', async () => {
    await post(fixture('11-business-connection.json'));
    await post(fixture('12-business-message.json'));
    await post(fixture('13-business-message-owner.json'));
    const [client] = await events('biz:Pj3Xn1dKQUAAAAAbcde:5123456789:88');
    const [owner] = await events('biz:Pj3Xn1dKQUAAAAAbcde:5123456789:89');
    expect(client!.decision![0]!.kind).not.toBe('outbound');
    expect(owner!.decision![0]!.kind).toBe('outbound');
    const conv = await conversationOf('biz:Pj3Xn1dKQUAAAAAbcde:5123456789');
    const reply = await ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, { text: 'Готов!' });
    expect(reply.status).toBe(201);
    expect(fake.callsOf('sendMessage').at(-1)!.body).toMatchObject({
      chat_id: 5123456789,
      business_connection_id: 'Pj3Xn1dKQUAAAAAbcde',
    });
    // A business chat is not asked for the phone.
    expect(
      fake.callsOf('sendMessage').filter((c) => c.body.business_connection_id && c.body.reply_markup),
    ).toEqual([]);
  });

  it('acknowledges a button press', async () => {
    await post(fixture('14-callback-query.json'));
    expect(fake.callsOf('answerCallbackQuery').at(-1)!.body).toEqual({
      callback_query_id: '4382bfdwdsb323b2d9',
    });
  });

  it('polls with a committed offset: a batch is confirmed after it is stored, a redelivery is a duplicate, 409 is reported', async () => {
    const chat = 5300000004;
    const first = fake.enqueue(message(chat, 1, { text: 'Через поллинг' }));
    fake.enqueue(message(chat, 2, { text: 'И ещё' }));
    const transport = ctx.source('telegram')!.transport!;
    transport.start();
    await waitFor(
      async () => (await events(`${chat}:2`)).length === 1 && fake.pending() === 0,
      'both updates stored and confirmed',
      5000,
    );
    expect(fake.confirmedOffset()).toBe((first.update_id as number) + 2);
    const calls = fake.callsOf('getUpdates').filter((c) => c.token === POLL_TOKEN);
    expect(calls[0]!.body).toMatchObject({
      timeout: 0,
      allowed_updates: expect.arrayContaining(['message', 'business_message']),
    });
    // Telegram delivers an update again (e.g. after a crash before the next offset): one message, a duplicate.
    fake.enqueue(message(chat, 1, { text: 'Через поллинг' }));
    await waitFor(async () => (await events(`${chat}:1`)).length === 2, 'the redelivery stored', 5000);
    await waitFor(
      async () => (await events(`${chat}:1`)).every((e) => e.status === 'processed'),
      'the redelivery decided',
      5000,
    );
    expect((await events(`${chat}:1`)).map((e) => e.decision?.[0]?.kind).sort()).toEqual([
      'duplicate',
      'new_lead',
    ]);

    fake.setWebhook({ url: 'https://elsewhere.example/hook' });
    await waitFor(
      () => {
        const s = transport.status() as Record<string, { connected: boolean; lastError: string | null }>;
        return s.poll_bot!.connected === false && s.poll_bot!.lastError?.includes('Conflict');
      },
      'the 409 in the status',
      5000,
    );
    fake.setWebhook(undefined);
    await transport.stop();
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.telegram.shop_bot).toMatchObject({ transport: 'webhook' });
    expect(ready.body.telegram.poll_bot).toMatchObject({ transport: 'polling' });
    const metrics = await ctx.request('GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toMatch(
      /switchboard_messenger_updates_total\{channel="telegram",account="poll_bot",outcome="stored"\} [3-9]/,
    );
    expect(metrics.body).toMatch(
      /switchboard_messenger_replies_total\{channel="telegram",account="shop_bot",outcome="rate_limited"\} 2/,
    );
  });

  it('channels:connect registers the webhook with secret_token and every update kind; polling removes it', async () => {
    const answer = await telegramChannel.connect!({ config: ctx.config, account: 'shop_bot' });
    expect(answer).toMatchObject({
      setWebhook: true,
      webhookInfo: { url: 'http://127.0.0.1:8080/webhooks/telegram/shop_bot' },
    });
    expect(fake.callsOf('setWebhook').at(-1)!.body).toEqual({
      url: 'http://127.0.0.1:8080/webhooks/telegram/shop_bot',
      secret_token: SECRET,
      allowed_updates: [...ALLOWED_UPDATES],
      drop_pending_updates: false,
    });
    expect(await telegramChannel.connect!({ config: ctx.config, account: 'poll_bot' })).toEqual({
      deleteWebhook: true,
    });
    expect(fake.webhook()).toBeUndefined();
    await expect(telegramChannel.connect!({ config: ctx.config, account: 'nobody' })).rejects.toThrow(
      'not configured',
    );
  });
});

describe('npm run channels:connect', () => {
  it('prints the usage for an unknown channel or a missing account', async () => {
    expect(await runConnect([], {})).toBe(64);
    expect(await runConnect(['email', 'x'], {})).toBe(64);
    expect(await runConnect(['telegram'], {})).toBe(64);
  });
});
