import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './support/context.js';
import { avitoError, fixtureJson, startFakeAvito } from './support/messenger-fakes.js';
import { backends } from './support/pg.js';

const USER_ID = 161605962;
const HOOK_SECRET = 'avito-hook-secret-0123456789';
let seq = 400_000_000 + Math.floor(Math.random() * 1_000_000);

/** The reference text webhook from a fresh buyer in a fresh chat. */
function textWebhook(buyer: number, chatId: string, over: { id?: string; text?: string } = {}) {
  const body = fixtureJson('avito/webhook-text.json');
  body.id = `hook-${over.id ?? buyer}`;
  Object.assign(body.payload.value, {
    id: over.id ?? `m-${buyer}`,
    chat_id: chatId,
    author_id: buyer,
    ...(over.text ? { content: { text: over.text } } : {}),
  });
  return body;
}

function chatInfo(buyer: number, chatId: string, name = 'Алексей') {
  const chat = fixtureJson('avito/chat.json');
  chat.id = chatId;
  chat.users[1].id = buyer;
  chat.users[1].name = name;
  return chat;
}

describe.each(backends())('Avito channel on %s', (backend) => {
  let ctx: TestContext;
  let avito: Awaited<ReturnType<typeof startFakeAvito>>;
  beforeAll(async () => {
    avito = await startFakeAvito(USER_ID, { now: () => ctx.clock.clock() });
    avito.onSubscribe();
    ctx = await createTestContext(backend, {
      channels: {
        avito: [
          {
            account: 'main',
            clientId: 'avito-client',
            clientSecret: 'avito-client-secret',
            userId: USER_ID,
            webhookSecret: HOOK_SECRET,
            apiRoot: avito.url,
          },
          {
            // Gives up after one try: a failed reply is then sent again through the ledger.
            account: 'once',
            clientId: 'avito-client',
            clientSecret: 'avito-client-secret',
            userId: USER_ID,
            webhookSecret: HOOK_SECRET,
            apiRoot: avito.url,
            retry: { attempts: 1 },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    await avito?.close();
  });
  beforeEach(() => {
    avito.sendFaults.clear();
    avito.lost.answers = 0;
  });

  const post = (body: unknown, secret = HOOK_SECRET, account = 'main') => {
    ctx.clock.advance(1000);
    return ctx.request('POST', `/webhooks/avito/${account}/${secret}`, undefined, {
      token: null,
      raw: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  };
  const events = (chatId: string) =>
    ctx.db.sql<{ status: string; decision: { kind: string }[] | null; skipped: { rule: string }[] | null }[]>`
      SELECT status, decision, skipped FROM inbound_events
      WHERE source = 'avito' AND payload::text LIKE ${`%${chatId}%`} ORDER BY received_at, id`;
  const fresh = () => {
    const buyer = ++seq;
    const chatId = `u2i-test${buyer}`;
    avito.chat(chatId, chatInfo(buyer, chatId));
    return { buyer, chatId };
  };

  it('refuses a wrong secret and an unknown account, storing nothing; answers Avito’s bare {} check', async () => {
    const { buyer, chatId } = fresh();
    expect((await post(textWebhook(buyer, chatId), 'wrong-secret-0123456789')).status).toBe(403);
    expect((await post(textWebhook(buyer, chatId), HOOK_SECRET, 'other')).status).toBe(404);
    expect(await post({})).toEqual({ status: 200, body: { ok: true } });
    expect(await events(chatId)).toHaveLength(0);
  });

  it('takes in a buyer’s message: name and listing from chat info, region from the listing, subject = title', async () => {
    const { buyer, chatId } = fresh();
    expect(await post(textWebhook(buyer, chatId))).toEqual({ status: 200, body: { ok: true } });
    expect(await post(textWebhook(buyer, chatId))).toEqual({ status: 200, body: { ok: true } });
    expect((await events(chatId)).map((e) => e.decision?.[0]?.kind)).toEqual(['new_lead', 'duplicate']);
    const [row] = await ctx.db.sql<{ name: string; region: string; subject: string }[]>`
      SELECT c.name, l.routing->'facts'->'region'->>'region' AS region, v.subject
      FROM conversations v JOIN contacts c ON c.id = v.contact_id JOIN leads l ON l.id = v.lead_id
      WHERE v.channel = 'avito' AND v.thread_key = ${`chat:${chatId}`}`;
    expect(row).toEqual({ name: 'Алексей', region: 'RU-TA', subject: 'Диван угловой' });
    // The token was fetched with client_credentials and reused.
    const tokenCalls = avito.http.requests.filter((r) => r.path === '/token');
    expect(tokenCalls.length).toBe(1);
  });

  it('our own message is outbound, a system message is skipped with its reason, garbage is rejected with 400', async () => {
    const { buyer, chatId } = fresh();
    await post(textWebhook(buyer, chatId));
    const own = fixtureJson('avito/webhook-own-echo.json');
    own.id = `own-${buyer}`;
    Object.assign(own.payload.value, { id: `own-${buyer}`, chat_id: chatId });
    await post(own);
    const system = fixtureJson('avito/webhook-system.json');
    Object.assign(system.payload.value, { id: `sys-${buyer}`, chat_id: chatId });
    await post(system);
    const broken = textWebhook(buyer, chatId, { id: `broken-${buyer}` });
    delete broken.payload.value.created;
    expect((await post(broken)).status).toBe(400);
    const rows = await events(chatId);
    expect(rows.map((e) => e.decision?.[0]?.kind ?? e.skipped?.[0]?.rule ?? e.status)).toEqual([
      'new_lead',
      'outbound',
      'avito_system',
      'rejected',
    ]);
  });

  describe('replies', () => {
    async function conversationOf(account = 'main') {
      const { buyer, chatId } = fresh();
      await post(textWebhook(buyer, chatId), HOOK_SECRET, account);
      const [row] = await ctx.db.sql<{ id: string }[]>`
        SELECT id FROM conversations WHERE channel = 'avito' AND thread_key = ${`chat:${chatId}`}`;
      return { id: row!.id, chatId, buyer };
    }
    const reply = (conversationId: string, text: string, key?: string) => {
      ctx.clock.advance(1000);
      return ctx.request(
        'POST',
        `/api/v1/conversations/${conversationId}/messages`,
        { text },
        key ? { headers: { 'idempotency-key': key } } : {},
      );
    };
    const posted = (chatId: string) =>
      avito.sends().filter((r) => r.path.endsWith(`/chats/${chatId}/messages`));

    it('an answer lost after Avito took the message: the retry finds it in the chat and records it, sending once', async () => {
      const conv = await conversationOf();
      avito.lost.answers = 1;
      const res = await reply(conv.id, 'Доставим в пятницу');
      expect(res.status).toBe(201);
      expect(posted(conv.chatId)).toHaveLength(1);
      const delivered = avito.history(conv.chatId);
      expect(delivered.map((m) => (m.content as { text: string }).text)).toEqual(['Доставим в пятницу']);
      expect(res.body.externalId).toBe(delivered[0]!.id);
      expect((await events(conv.chatId)).map((e) => e.decision?.[0]?.kind)).toEqual(['new_lead', 'outbound']);
    });

    it('a failed reply sent again with the same Idempotency-Key is recorded, not repeated, when Avito had taken it', async () => {
      const conv = await conversationOf('once');
      avito.lost.answers = 1;
      const failed = await reply(conv.id, 'Счёт отправил', 'reply-1');
      expect(failed.status).toBe(502);
      expect(posted(conv.chatId)).toHaveLength(1);
      const again = await reply(conv.id, 'Счёт отправил', 'reply-1');
      expect(again.status).toBe(201);
      expect(posted(conv.chatId)).toHaveLength(1);
      expect(again.body.externalId).toBe(avito.history(conv.chatId)[0]!.id);
      // And now it is sent: the same key replays the stored result.
      const replayed = await reply(conv.id, 'Счёт отправил', 'reply-1');
      expect(replayed.body.externalId).toBe(again.body.externalId);
      expect(posted(conv.chatId)).toHaveLength(1);
    });

    it('the same text sent before is not mistaken for the lost one', async () => {
      const conv = await conversationOf();
      const first = await reply(conv.id, 'Ок');
      expect(first.status).toBe(201);
      avito.lost.answers = 1;
      const second = await reply(conv.id, 'Ок');
      expect(second.status).toBe(201);
      expect(posted(conv.chatId)).toHaveLength(2);
      const [newest, older] = avito.history(conv.chatId);
      expect([first.body.externalId, second.body.externalId]).toEqual([older!.id, newest!.id]);
    });

    it('when the chat cannot be read before a retry, the reply fails rather than risk a second copy', async () => {
      const conv = await conversationOf();
      avito.http.on(`GET /messenger/v3/accounts/${USER_ID}/chats/${conv.chatId}/messages/`, () =>
        avitoError(404, 'Not Found'),
      );
      avito.sendFaults.add({ reply: avitoError(500, 'Internal'), times: 1 });
      const res = await reply(conv.id, 'Не повторять');
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain('cannot check whether the earlier send reached the chat');
      expect(posted(conv.chatId)).toHaveLength(1);
    });

    it('a send refused before Avito took it (500) is sent again after the chat shows nothing', async () => {
      const conv = await conversationOf();
      avito.sendFaults.add({ reply: avitoError(500, 'Internal'), times: 1 });
      const res = await reply(conv.id, 'Повтор');
      expect(res.status).toBe(201);
      expect(posted(conv.chatId)).toHaveLength(2);
      expect(avito.history(conv.chatId)).toHaveLength(1);
      const lists = avito.http.requests.filter((r) => r.path.includes(`/chats/${conv.chatId}/messages/`));
      expect(lists).toHaveLength(1);
    });

    it('sends in the chat and records it; the webhook echo of it is a duplicate', async () => {
      const conv = await conversationOf();
      const res = await reply(conv.id, 'Да, актуально');
      expect(res.status).toBe(201);
      const sent = avito.sends().at(-1)!;
      expect(sent.path).toBe(`/messenger/v1/accounts/${USER_ID}/chats/${conv.chatId}/messages`);
      expect(JSON.parse(sent.body)).toEqual({ message: { text: 'Да, актуально' }, type: 'text' });
      const echo = fixtureJson('avito/webhook-own-echo.json');
      echo.id = `echo-${conv.buyer}`;
      Object.assign(echo.payload.value, { id: res.body.externalId, chat_id: conv.chatId });
      await post(echo);
      expect((await events(conv.chatId)).map((e) => e.decision?.[0]?.kind)).toEqual([
        'new_lead',
        'outbound',
        'duplicate',
      ]);
    });

    it('renews the token on a 401 and retries a rate limit and a 5xx with backoff', async () => {
      const conv = await conversationOf();
      avito.revokeAll();
      avito.sendFaults.add({
        reply: avitoError(429, 'Too Many Requests', { 'retry-after': '3' }),
        times: 1,
      });
      avito.sendFaults.add({ reply: avitoError(500, 'Internal'), times: 1 });
      const tokensBefore = avito.tokens.length;
      const started = ctx.clock.clock().getTime();
      const res = await reply(conv.id, 'После 429');
      expect(res.status).toBe(201);
      expect(avito.tokens.length).toBe(tokensBefore + 1);
      // Retry-After (3 s) honoured, then the backoff's second step (2 s), on the test clock.
      expect(ctx.clock.clock().getTime() - started).toBeGreaterThanOrEqual(5_000);
    });

    it('a refusal is a 502 with Avito’s reason and is not recorded as sent', async () => {
      const conv = await conversationOf();
      avito.sendFaults.add({
        reply: avitoError(403, 'chat is blocked'),
        times: 1,
      });
      const res = await reply(conv.id, 'Заблокирован');
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain('chat is blocked');
      const out = await ctx.db
        .sql`SELECT 1 FROM messages WHERE conversation_id = ${conv.id} AND direction = 'out'`;
      expect(out).toHaveLength(0);
    });

    it('refuses a text Avito would refuse (over 1000 characters) before sending', async () => {
      const conv = await conversationOf();
      expect((await reply(conv.id, 'а'.repeat(1001))).status).toBe(422);
    });
  });

  it('connect subscribes the webhook URL and reports Avito’s answer without printing the secret', async () => {
    const report = await ctx.source('avito')!.connect!('main', { publicUrl: 'https://sb.example.ru' });
    expect(report.ok).toBe(true);
    expect(JSON.parse(avito.subscriptions().at(-1)!.body)).toEqual({
      url: `https://sb.example.ru/webhooks/avito/main/${HOOK_SECRET}`,
    });
    expect(report.lines.join('\n')).not.toContain(HOOK_SECRET);
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.avito.main).toMatchObject({ transport: 'webhook', connected: true });
  });
});
