import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { vkRandomId } from '../src/channels/vk/replier.js';
import { createTestContext, type TestContext } from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { type FakeVk, fixtureJson, startFakeVk, vkError } from './support/messenger-fakes.js';
import { backends } from './support/pg.js';

const SECRET = 's3cr3t-from-vk-settings';
const GROUP = 199493573;
let seq = 30_000_000 + Math.floor(Math.random() * 1_000_000);

/** The reference message_new, from a fresh user (tests share a database). */
function messageNew(userId: number, over: { text?: string; cmid?: number; eventId?: string } = {}) {
  const body = fixtureJson('vk/message_new.json');
  body.event_id = over.eventId ?? `ev-${userId}-${over.cmid ?? 1}`;
  Object.assign(body.object.message, {
    from_id: userId,
    peer_id: userId,
    conversation_message_id: over.cmid ?? 1,
    ...(over.text ? { text: over.text } : {}),
  });
  return body;
}

function vkUser(id: number, over: Record<string, unknown> = {}) {
  return { ...fixtureJson('vk/users.get.json')[0], id, ...over };
}

describe.each(backends())('VK channel on %s', (backend) => {
  let ctx: TestContext;
  let vk: FakeVk;
  beforeAll(async () => {
    vk = await startFakeVk();
    ctx = await createTestContext(backend, {
      channels: {
        vk: [
          {
            account: 'main',
            groupId: GROUP,
            token: 'vk-token',
            secret: SECRET,
            confirmation: 'a1b2c3d4',
            apiRoot: vk.url,
          },
          {
            account: 'lp',
            groupId: GROUP + 1,
            token: 'vk-token-2',
            transport: 'longpoll',
            apiRoot: vk.url,
            retry: { baseDelayMs: 5, maxDelayMs: 20 },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    await vk?.close();
  });
  beforeEach(() => vk.sendFaults.clear());

  const post = (body: unknown, account = 'main') => {
    // Each delivery a second later: received_at orders the events.
    ctx.clock.advance(1000);
    return ctx.request('POST', `/webhooks/vk/${account}`, undefined, {
      token: null,
      raw: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  };
  const events = (userId: number) =>
    ctx.db.sql<{ status: string; decision: { kind: string }[] | null; payload: { update: unknown } }[]>`
      SELECT status, decision, payload FROM inbound_events
      WHERE source = 'vk' AND payload::text LIKE ${`%${userId}%`} ORDER BY received_at, id`;

  it('answers the confirmation request with the configured string as text/plain', async () => {
    const res = await ctx.app.request('/webhooks/vk/main', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fixtureJson('vk/confirmation.json')),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toBe('a1b2c3d4');
  });

  it('refuses a wrong or missing secret, another community, garbage and an unknown account, storing nothing', async () => {
    const userId = ++seq;
    const body = messageNew(userId);
    expect((await post({ ...body, secret: 'wrong' })).status).toBe(403);
    expect((await post({ ...body, secret: undefined })).status).toBe(403);
    expect((await post({ ...body, group_id: 1 })).status).toBe(403);
    expect((await post('not json')).status).toBe(403);
    expect((await post(body, 'nope')).status).toBe(404);
    expect(await events(userId)).toHaveLength(0);
  });

  it('stores, enriches from users.get (cached) and decides a message; a redelivery is a duplicate', async () => {
    const userId = ++seq;
    vk.users.set(userId, vkUser(userId));
    const before = vk.calls('users.get').length;
    expect(await post(messageNew(userId))).toEqual({ status: 200, body: 'ok' });
    expect(await post(messageNew(userId))).toEqual({ status: 200, body: 'ok' });
    // The same message seen again under another event id (Long Poll, a re-sent event): still one message.
    expect(await post(messageNew(userId, { eventId: 'another' }))).toEqual({ status: 200, body: 'ok' });
    expect(vk.calls('users.get').length - before).toBe(1);
    const rows = await events(userId);
    expect(rows.map((r) => r.decision?.[0]?.kind)).toEqual(['new_lead', 'duplicate', 'duplicate']);
    const [lead] = await ctx.db.sql<{ name: string; region: string; messages: number }[]>`
      SELECT c.name, l.routing->'facts'->'region'->>'region' AS region,
        (SELECT count(*)::int FROM messages m WHERE m.contact_id = c.id) AS messages
      FROM leads l JOIN contacts c ON c.id = l.contact_id
      JOIN identities i ON i.contact_id = c.id AND i.kind = 'vk' AND i.value = ${`main:${userId}`}`;
    expect(lead).toEqual({ name: 'Анна Соколова', region: 'RU-TA', messages: 1 });
  });

  it('keeps a malformed message as rejected and answers 400', async () => {
    const userId = ++seq;
    const body = messageNew(userId);
    delete body.object.message.conversation_message_id;
    const res = await post(body);
    expect(res.status).toBe(400);
    const rows = await events(userId);
    expect(rows.map((r) => r.status)).toEqual(['rejected']);
    expect(JSON.stringify(rows[0]!.payload)).not.toContain(SECRET);
    // The bytes are kept as received, the secret replaced.
    const [raw] = await ctx.db.sql<{ raw: Uint8Array }[]>`
      SELECT raw FROM inbound_events WHERE source = 'vk' AND payload::text LIKE ${`%${userId}%`}`;
    expect(Buffer.from(raw!.raw).toString('utf8')).toContain('"secret":"[redacted]"');
    expect(Buffer.from(raw!.raw).toString('utf8')).not.toContain(SECRET);
  });

  it('stores a message whose text carries a NUL (the raw bytes keep it, the decoded copy drops it)', async () => {
    const userId = ++seq;
    expect(await post(messageNew(userId, { text: 'Шкаф\u0000 купе' }))).toEqual({ status: 200, body: 'ok' });
    const [message] = await ctx.db.sql<{ body: string }[]>`
      SELECT body FROM messages WHERE channel = 'vk' AND external_id = ${`${userId}_1`}`;
    expect(message!.body).toBe('Шкаф купе');
  });

  it('takes our own message_reply as outbound, never a lead', async () => {
    const userId = ++seq;
    await post(messageNew(userId));
    const reply = fixtureJson('vk/message_reply.json');
    Object.assign(reply.object, { peer_id: userId, conversation_message_id: 2 });
    expect((await post(reply)).status).toBe(200);
    expect((await events(userId)).map((r) => r.decision?.[0]?.kind)).toEqual(['new_lead', 'outbound']);
  });

  it('the same person in VK and then by email with the phone VK returned is one contact', async () => {
    const userId = ++seq;
    const phone = freshPhone();
    vk.users.set(userId, vkUser(userId, { mobile_phone: `+7${phone}` }));
    await post(messageNew(userId, { text: 'Хочу шкаф' }));
    const email = await ctx.request('POST', '/api/v1/inbound', {
      channel: 'email',
      account: 'sales',
      direction: 'in',
      occurredAt: '2026-11-20T10:00:00+03:00',
      from: { name: 'Анна Соколова', emails: [freshEmail()], phones: [`8${phone}`] },
      subject: 'Шкаф',
      text: 'Пишу по поводу шкафа',
    });
    expect(email.status).toBe(200);
    const contacts = await ctx.request('GET', `/api/v1/contacts?phone=${phone}`);
    expect(contacts.body.contacts).toHaveLength(1);
    const contact = await ctx.request('GET', `/api/v1/contacts/${contacts.body.contacts[0].id}`);
    expect(contact.body.leads).toHaveLength(1);
    expect(email.body.decision.kind).toBe('attached_to_lead');
  });

  describe('replies', () => {
    async function conversationOf(userId: number): Promise<string> {
      await post(messageNew(userId));
      const [row] = await ctx.db.sql<{ id: string }[]>`
        SELECT id FROM conversations WHERE channel = 'vk' AND thread_key = ${`peer:${userId}`}`;
      return row!.id;
    }
    const reply = (conversationId: string, text: string) => {
      ctx.clock.advance(1000);
      return ctx.request('POST', `/api/v1/conversations/${conversationId}/messages`, { text });
    };

    it('sends with messages.send and records the message; VK’s echo of it is a duplicate', async () => {
      const userId = ++seq;
      const conv = await conversationOf(userId);
      const res = await reply(conv, 'Да, есть в наличии');
      expect(res.status).toBe(201);
      const send = vk.sent.find((s) => s.peerId === userId)!;
      expect(send.text).toBe('Да, есть в наличии');
      expect(res.body.externalId).toMatch(new RegExp(`^${userId}_\\d+$`));
      const cmid = Number(res.body.externalId.split('_')[1]);
      const echo = fixtureJson('vk/message_reply.json');
      Object.assign(echo.object, {
        peer_id: userId,
        conversation_message_id: cmid,
        text: 'Да, есть в наличии',
      });
      await post(echo);
      expect((await events(userId)).map((r) => r.decision?.[0]?.kind)).toEqual([
        'new_lead',
        'outbound',
        'duplicate',
      ]);
    });

    it('retries through a 5-second outage with the same random_id, without sleeping', async () => {
      const userId = ++seq;
      const conv = await conversationOf(userId);
      const start = ctx.clock.clock().getTime();
      vk.sendFaults.add({
        reply: { status: 503, headers: { 'content-type': 'text/html' }, body: '<html>503</html>' },
        until: () => ctx.clock.clock().getTime() < start + 5_000,
      });
      const before = vk.calls('messages.send').length;
      const wall = Date.now();
      const res = await reply(conv, 'После сбоя');
      expect(res.status).toBe(201);
      expect(Date.now() - wall).toBeLessThan(4_000);
      expect(ctx.clock.clock().getTime() - start).toBeGreaterThanOrEqual(5_000);
      const attempts = vk.calls('messages.send').slice(before);
      expect(attempts.length).toBeGreaterThan(1);
      expect(new Set(attempts.map((r) => new URLSearchParams(r.body).get('random_id'))).size).toBe(1);
      expect(vk.sent.filter((s) => s.peerId === userId)).toHaveLength(1);
    });

    it('VK rate limits (error 6 per second, 9 flood control) are retried with the same random_id', async () => {
      const userId = ++seq;
      const conv = await conversationOf(userId);
      vk.sendFaults.add({ reply: vkError(6, 'Too many requests per second'), times: 1 });
      vk.sendFaults.add({ reply: vkError(9, 'Flood control'), times: 1 });
      const before = vk.calls('messages.send').length;
      const res = await reply(conv, 'После лимита');
      expect(res.status).toBe(201);
      const attempts = vk.calls('messages.send').slice(before);
      expect(attempts).toHaveLength(3);
      expect(new Set(attempts.map((r) => new URLSearchParams(r.body).get('random_id'))).size).toBe(1);
      expect(vk.sent.filter((s) => s.peerId === userId)).toHaveLength(1);
    });

    it('error 29 (a method’s daily quota) is not retried: a 502 with VK’s code', async () => {
      const userId = ++seq;
      const conv = await conversationOf(userId);
      vk.sendFaults.add({ reply: vkError(29, 'Rate limit reached'), times: 1 });
      const before = vk.calls('messages.send').length;
      const res = await reply(conv, 'Квота');
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain('[29] Rate limit reached');
      expect(vk.calls('messages.send').slice(before)).toHaveLength(1);
      expect(vk.sent.filter((s) => s.peerId === userId)).toHaveLength(0);
    });

    it('a refusal is a 502 with VK’s reason, stored as failed, nothing recorded as sent', async () => {
      const userId = ++seq;
      const conv = await conversationOf(userId);
      vk.sendFaults.add({
        reply: vkError(901, "Can't send messages for users without permission"),
        times: 1,
      });
      const res = await reply(conv, 'Не дойдёт');
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain("[901] Can't send messages for users without permission");
      const [stored] = await ctx.db.sql<{ status: string; lastError: string }[]>`
        SELECT status, last_error FROM replies WHERE conversation_id = ${conv}`;
      expect(stored).toEqual({ status: 'failed', lastError: expect.stringContaining('[901]') });
      const out = await ctx.db
        .sql`SELECT 1 FROM messages WHERE conversation_id = ${conv} AND direction = 'out'`;
      expect(out).toHaveLength(0);
    });
  });

  it('derives random_id from the reply id: stable, non-zero int32', () => {
    expect(vkRandomId('a')).toBe(vkRandomId('a'));
    expect(vkRandomId('a')).not.toBe(vkRandomId('b'));
    expect(Math.abs(vkRandomId('x'))).toBeLessThan(2 ** 31 + 1);
  });

  it('Long Poll stores updates before moving ts, survives failed 2, and shows in /readyz and metrics', async () => {
    const userId = ++seq;
    const module = ctx.source('vk')!;
    vk.longPoll.answer({ failed: 2 });
    vk.longPoll.push({ ...messageNew(userId), group_id: GROUP + 1, secret: undefined });
    module.transport!.start();
    for (let i = 0; i < 200 && (await events(userId)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await module.transport!.stop();
    const rows = await events(userId);
    expect(rows.map((r) => r.decision?.[0]?.kind)).toEqual(['new_lead']);
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.vk.lp).toMatchObject({ transport: 'longpoll', connected: true });
    expect(ready.body.vk.main).toMatchObject({ transport: 'callback' });
    expect(ready.body.vk.main.lastEventAt).not.toBeNull();
    const metrics = await ctx.request('GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toContain(
      'switchboard_messenger_events_total{channel="vk",account="main",outcome="stored"}',
    );
    expect(metrics.body).toContain(
      // The 901 refusal and the error-29 quota above.
      'switchboard_messenger_replies_total{channel="vk",account="main",outcome="failed"} 2',
    );
  });

  it('connect compares the confirmation string VK expects', async () => {
    const report = await ctx.source('vk')!.connect!('main', { publicUrl: 'https://sb.example.ru' });
    expect(report.ok).toBe(true);
    expect(report.lines.join('\n')).toContain('https://sb.example.ru/webhooks/vk/main');
    expect(report.lines.join('\n')).not.toContain('vk-token');
  });
});
