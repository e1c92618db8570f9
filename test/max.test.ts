import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPDATE_TYPES } from '../src/channels/max/client.js';
import { createMax, maxChannel } from '../src/channels/max/index.js';
import type { TestContext } from './support/context.js';
import { waitFor } from './support/email.js';
import { type MaxFake, startMaxFake } from './support/max-fake.js';
import { messengerTestContext, testPolling } from './support/messenger.js';
import { backends } from './support/pg.js';

const TOKEN = 'f9LHodD0cOK7-max-bot-token';
type StoredUpdate = { update: { message: { body: { seq: unknown } } } };
const SECRET = 'k7Qw_Xr2-ZpL9mN4';
const raw = (name: string) => readFileSync(new URL(`../fixtures/max/${name}`, import.meta.url), 'utf8');

let seq = 0;
/** A `message_created` in dialog `chatId` from user `userId`, as raw JSON (seq above 2^53, like MAX sends). */
function created(userId: number, chatId: number, text: string | null, attachments = '') {
  seq++;
  const mid = `mid.test.${chatId}.${seq}`;
  return {
    mid,
    raw: `{"update_type":"message_created","timestamp":${1767002400000 + seq},"user_locale":"ru","message":{"sender":{"user_id":${userId},"first_name":"Ирина","is_bot":false},"recipient":{"chat_id":${chatId},"chat_type":"dialog","user_id":94399782},"timestamp":${1767002400000 + seq},"body":{"mid":"${mid}","seq":115600785883425${String(seq).padStart(3, '0')},"text":${JSON.stringify(text)}${attachments ? `,"attachments":[${attachments}]` : ''}}}}`,
  };
}

describe.each(backends())('MAX channel on %s', (backend) => {
  let ctx: TestContext;
  let fake: MaxFake;
  let waits: number[];
  beforeAll(async () => {
    fake = await startMaxFake(TOKEN);
    ({ ctx, waits } = await messengerTestContext(backend, 'max', createMax, {
      max: [
        { account: 'shop', token: TOKEN, secret: SECRET, transport: 'webhook', apiRoot: fake.url },
        {
          account: 'poll',
          token: TOKEN,
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

  const post = (body: string, secret: string | null = SECRET, account = 'shop') =>
    ctx.request('POST', `/webhooks/max/${account}`, undefined, {
      token: null,
      raw: body,
      headers: secret === null ? {} : { 'x-max-bot-api-secret': secret },
    });
  const events = (externalId: string) =>
    ctx.db.sql<
      { status: string; decision: { kind: string }[] | null; payload: StoredUpdate; raw: Buffer | null }[]
    >`
      SELECT status, decision, payload, raw FROM inbound_events WHERE source = 'max' AND external_id = ${externalId}`;
  const conversationOf = async (chatId: number | string) =>
    (
      await ctx.db.sql<{ id: string; contactId: string }[]>`
      SELECT id, contact_id FROM conversations WHERE channel = 'max' AND thread_key = ${`chat:${chatId}`}`
    )[0];

  it('refuses a missing (401) or wrong (403) secret and an unknown account (404), storing nothing', async () => {
    const body = raw('01-message-created.json');
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, 'wrong-secret')).status).toBe(403);
    expect((await post(body, SECRET, 'other')).status).toBe(404);
    const [row] = await ctx.db.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM inbound_events WHERE source = 'max'`;
    expect(row!.n).toBe(0);
  });

  it('stores a message with its 64-bit seq exact, decides it, asks for the phone once; a retry is a duplicate', async () => {
    const body = raw('01-message-created.json');
    expect(await post(body)).toEqual({ status: 200, body: { ok: true } });
    expect(await post(body)).toEqual({ status: 200, body: { ok: true } });
    const rows = await events('mid.0000000004ba3a03019ab24d62566a52');
    expect(rows.map((r) => r.decision?.[0]?.kind).sort()).toEqual(['duplicate', 'new_lead']);
    expect(rows[0]!.payload.update.message.body.seq).toBe('115600785883425360');
    expect(Buffer.from(rows[0]!.raw!).toString()).toBe(body);
    const asks = fake.callsTo('POST', '/messages').filter((c) => c.query.get('chat_id') === '79313411');
    expect(asks).toHaveLength(1);
    expect(JSON.parse(asks[0]!.body).attachments).toEqual([
      {
        type: 'inline_keyboard',
        payload: { buttons: [[{ type: 'request_contact', text: '📱 Отправить номер' }]] },
      },
    ]);
    expect(asks[0]!.authorization).toBe(TOKEN);
  });

  it('an edit updates the stored message; the sender’s shared contact is a verified phone', async () => {
    await post(raw('06-message-edited.json'));
    const [m] = await ctx.db.sql<{ body: string }[]>`
      SELECT body FROM messages WHERE channel = 'max' AND external_id = 'mid.0000000004ba3a03019ab24d62566a52'`;
    expect(m!.body).toBe('Здравствуйте! Доставка в Казань есть?');
    await post(raw('02-message-contact.json'));
    const conv = await conversationOf(79313411);
    const ids = await ctx.db.sql<{ kind: string; value: string; verified: boolean }[]>`
      SELECT kind, value, verified FROM identities WHERE contact_id = ${conv!.contactId} ORDER BY kind`;
    expect(ids.map((i) => [i.kind, i.value, i.verified])).toEqual([
      ['max', 'shop:18503461', true],
      ['phone', '+79001234567', true],
    ]);
  });

  it('records bot_started, acknowledges a button, skips a group message, keeps a malformed update as rejected', async () => {
    await post(raw('03-bot-started.json'));
    await post(raw('04-message-callback.json'));
    await post(raw('07-message-group.json'));
    const skipped = await ctx.db.sql<{ rule: string }[]>`
      SELECT s->>'rule' AS rule FROM inbound_events, jsonb_array_elements(skipped) s WHERE source = 'max' ORDER BY 1`;
    expect(skipped.map((s) => s.rule)).toEqual(['max_bot_started', 'max_callback', 'skip_group_chat']);
    const answer = fake.callsTo('POST', '/answers').at(-1)!;
    expect(answer.query.get('callback_id')).toBe('f9LHodD0cOK7');
    expect((await post('{"update_type":"message_created","timestamp":1}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    const [n] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM inbound_events WHERE source = 'max' AND status = 'rejected'`;
    expect(n!.n).toBe(2);
  });

  it('replies with POST /messages, uploads a document and retries while it is not ready; 403 and bot_stopped refuse later replies', async () => {
    const m = created(18600001, 79400001, 'Есть доставка?');
    await post(m.raw);
    const conv = await conversationOf(79400001);
    const reply = (text: string, extra: Record<string, unknown> = {}) =>
      ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, { text, ...extra });
    const ok = await reply('Да, завтра');
    expect(ok.status).toBe(201);
    expect(ok.body.externalId).toMatch(/^mid\.out\./);
    const [out] = await ctx.db.sql<{ direction: string; body: string; contactId: string }[]>`
      SELECT direction, body, contact_id FROM messages WHERE id = ${ok.body.messageId}`;
    expect(out).toEqual({ direction: 'out', body: 'Да, завтра', contactId: conv!.contactId });

    waits.length = 0;
    const doc = await reply('Счёт', { document: { url: `${fake.url}/files/invoice.pdf`, name: 'Счёт.pdf' } });
    expect(doc.status).toBe(201);
    expect(waits).toEqual([1000]);
    const sends = fake
      .callsTo('POST', '/messages')
      .slice(-2)
      .map((c) => JSON.parse(c.body));
    expect(sends[0]).toEqual(sends[1]);
    expect(sends[1].attachments).toEqual([{ type: 'file', payload: { token: 'file-token-1' } }]);

    fake.failNextMessage(403, 'chat.denied');
    const denied = await reply('Алло?');
    expect(denied.status).toBe(502);
    expect(denied.body.error.message).toContain('chat.denied');
    expect((await reply('Ещё')).status).toBe(422);

    const other = created(18600002, 79400002, 'Привет');
    await post(other.raw);
    await post(
      `{"update_type":"bot_stopped","timestamp":1767003000000,"chat_id":79400002,"user":{"user_id":18600002,"first_name":"Ирина","is_bot":false},"user_locale":"ru"}`,
    );
    const conv2 = await conversationOf(79400002);
    const refused = await ctx.request('POST', `/api/v1/conversations/${conv2!.id}/messages`, {
      text: 'Алло',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toContain('stopped the bot');
  });

  it('a 429 from POST /messages (MAX gives no retry_after) is a retryable 502, sent once, counted as rate_limited', async () => {
    const m = created(18600003, 79400003, 'Сколько стоит?');
    await post(m.raw);
    const conv = await conversationOf(79400003);
    const before = fake.callsTo('POST', '/messages').length;
    fake.failNextMessage(429, 'too.many.requests');
    const res = await ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, { text: 'Сейчас' });
    expect(res.status).toBe(502);
    expect(res.body.error.message).toContain('429 too.many.requests');
    expect(fake.callsTo('POST', '/messages').length - before).toBe(1);
    const metrics = await ctx.request('GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toContain(
      'switchboard_messenger_replies_total{channel="max",account="shop",outcome="rate_limited"} 1',
    );
  });

  it('polls with a marker: committed after storing, a redelivery is a duplicate; status in /readyz', async () => {
    const first = created(18600003, 79400003, 'Через поллинг');
    const second = created(18600003, 79400003, 'И ещё');
    fake.enqueue(first.raw);
    fake.enqueue(second.raw);
    const transport = ctx.source('max')!.transport!;
    transport.start();
    await waitFor(
      async () => (await events(second.mid)).length === 1 && fake.uncommitted() === 0,
      'both stored and committed',
      5000,
    );
    const polls = fake.callsTo('GET', '/updates');
    expect(polls[0]!.query.get('marker')).toBeNull();
    expect(polls[0]!.query.get('types')).toBe(UPDATE_TYPES.join(','));
    expect(polls.at(-1)!.query.get('marker')).toBe(String(fake.committed()));
    fake.enqueue(first.raw);
    await waitFor(
      async () => (await events(first.mid)).filter((e) => e.status === 'processed').length === 2,
      'the redelivery decided',
      5000,
    );
    expect((await events(first.mid)).map((e) => e.decision?.[0]?.kind).sort()).toEqual([
      'duplicate',
      'new_lead',
    ]);
    // The polled payload keeps 64-bit integers as strings too.
    expect(typeof (await events(second.mid))[0]!.payload.update.message.body.seq).toBe('string');
    await transport.stop();
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.max.poll).toMatchObject({ transport: 'polling', connected: true, lastError: null });
    expect(ready.body.max.shop).toMatchObject({ transport: 'webhook' });
  });

  it('channels:connect subscribes the webhook with its secret and update types; polling unsubscribes it', async () => {
    const answer = await maxChannel.connect!({ config: ctx.config, account: 'shop' });
    expect(answer).toMatchObject({ subscribe: { success: true } });
    expect(fake.subscriptions()).toEqual([
      { url: 'http://127.0.0.1:8080/webhooks/max/shop', secret: SECRET, update_types: [...UPDATE_TYPES] },
    ]);
    await maxChannel.connect!({ config: ctx.config, account: 'poll' });
    expect(fake.callsTo('DELETE', '/subscriptions').at(-1)!.query.get('url')).toBe(
      'http://127.0.0.1:8080/webhooks/max/poll',
    );
  });
});
