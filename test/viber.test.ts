import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { fixtureText, startFakeViber } from './support/messenger-fakes.js';
import { backends } from './support/pg.js';

const TOKEN = '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9';
let seq = Math.floor(Math.random() * 1_000_000);

/**
 * A fixture's text with its user id and message token made fresh (tests share a database); the token is
 * kept a bare 19-digit number, as Viber sends it.
 */
function fixture(name: string, userId: string, token = BigInt(4912661846655238145n) + BigInt(++seq) * 1000n) {
  return fixtureText(`viber/${name}`)
    .replaceAll('01234567890A=', userId)
    .replaceAll('3SQNc4FPUQmysaM/AQEhXg==', userId)
    .replace(/"message_token":\d+/, `"message_token":${token}`);
}
const freshUser = () => `u${++seq}Ab+/cd==`;
const sign = (body: string, key = TOKEN) => createHmac('sha256', key).update(body).digest('hex');

describe.each(backends())('Viber channel on %s', (backend) => {
  let ctx: TestContext;
  let viber: Awaited<ReturnType<typeof startFakeViber>>;
  beforeAll(async () => {
    viber = await startFakeViber(TOKEN);
    ctx = await createTestContext(backend, {
      channels: {
        viber: [{ account: 'bot', token: TOKEN, senderName: 'Мебель-Фабрика', apiRoot: viber.url }],
      },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    await viber?.close();
  });
  beforeEach(() => viber.sendFaults.clear());

  const post = (body: string, signature: string | null = sign(body), account = 'bot', query = '') => {
    ctx.clock.advance(1000);
    return ctx.request('POST', `/webhooks/viber/${account}${query}`, undefined, {
      token: null,
      raw: body,
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'x-viber-content-signature': signature } : {}),
      },
    });
  };
  const events = (userId: string) =>
    ctx.db.sql<
      {
        status: string;
        externalId: string | null;
        decision: { kind: string }[] | null;
        skipped: { rule: string }[] | null;
      }[]
    >`
      SELECT status, external_id, decision, skipped FROM inbound_events
      WHERE source = 'viber' AND payload::text LIKE ${`%${userId}%`} ORDER BY received_at, id`;
  const outcomes = async (userId: string) =>
    (await events(userId)).map((e) => e.decision?.[0]?.kind ?? e.skipped?.[0]?.rule ?? e.status);

  it('refuses a wrong or missing signature and an unknown account, storing nothing', async () => {
    const user = freshUser();
    const body = fixture('message-text.json', user);
    expect((await post(body, sign(body, 'another-token'))).status).toBe(403);
    expect((await post(body, null)).status).toBe(403);
    expect((await post(`${body} `, sign(body))).status).toBe(403);
    expect((await post(body, sign(body), 'nope')).status).toBe(404);
    expect(await events(user)).toHaveLength(0);
    // The official middleware's ?sig= fallback.
    expect((await post(body, null, 'bot', `?sig=${sign(body)}`)).status).toBe(200);
  });

  it('a message is a lead keyed by the exact 64-bit token; the redelivery is a duplicate', async () => {
    const user = freshUser();
    const body = fixture('message-text.json', user, 9223372036854775001n);
    expect((await post(body)).status).toBe(200);
    expect((await post(body)).status).toBe(200);
    expect(await outcomes(user)).toEqual(['new_lead', 'duplicate']);
    const [message] = await ctx.db.sql<{ externalId: string; body: string }[]>`
      SELECT external_id, body FROM messages WHERE channel = 'viber' AND external_id = '9223372036854775001'`;
    expect(message).toEqual({
      externalId: '9223372036854775001',
      body: 'Здравствуйте, сколько стоит доставка?',
    });
  });

  it('conversation_started is answered with the welcome and a share-phone button, and is not a lead', async () => {
    const user = freshUser();
    const res = await post(fixture('conversation_started.json', user));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      sender: { name: 'Мебель-Фабрика' },
      type: 'text',
      tracking_data: 'share-phone',
      keyboard: { Type: 'keyboard', Buttons: [{ ActionType: 'share-phone' }] },
    });
    for (const name of ['subscribed.json', 'unsubscribed.json', 'delivered.json', 'seen.json', 'failed.json'])
      expect((await post(fixture(name, user))).status).toBe(200);
    expect(await outcomes(user)).toEqual([
      'viber_conversation_started',
      'viber_subscribed',
      'viber_unsubscribed',
      'viber_delivered',
      'viber_seen',
      'viber_failed',
    ]);
  });

  it('keeps a signed but malformed callback as rejected and answers 400', async () => {
    const user = freshUser();
    const body = fixture('message-text.json', user).replace('"sender"', '"sendr"');
    expect((await post(body)).status).toBe(400);
    expect(await outcomes(user)).toEqual(['rejected']);
  });

  const callIn = (phone: string) =>
    ctx.request('POST', '/api/v1/inbound', {
      channel: 'phone',
      account: 'pbx',
      direction: 'in',
      occurredAt: '2026-11-20T09:00:00+03:00',
      from: { phones: [`8${phone}`] },
      call: { state: 'missed' },
    });
  const contactShare = (user: string, phone: string) =>
    fixture('message-contact.json', user).replace('+380501234567', `+7${phone}`);

  it('a caller who shares the same number in Viber becomes the same contact', async () => {
    const phone = freshPhone();
    const call = await callIn(phone);
    expect(call.body.decision.kind).toBe('new_lead');
    const user = freshUser();
    await post(fixture('conversation_started.json', user));
    expect((await post(contactShare(user, phone))).status).toBe(200);
    expect(await outcomes(user)).toEqual(['viber_conversation_started', 'attached_to_lead']);
    const contact = await ctx.request('GET', `/api/v1/contacts/${call.body.decision.contactId}`);
    expect(contact.body.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['phone', 'viber']);
  });

  it('a Viber user who wrote first and then shares a caller’s number: a merge suggestion, merged on request', async () => {
    const phone = freshPhone();
    const call = await callIn(phone);
    const user = freshUser();
    await post(fixture('message-text.json', user));
    await post(contactShare(user, phone));
    const [, share] = await events(user);
    expect(share!.decision![0]!.kind).toBe('attached_to_lead');
    const suggestions = await ctx.request('GET', '/api/v1/merge-suggestions');
    const suggestion = suggestions.body.suggestions.find((s: { contactId: string; otherContactId: string }) =>
      [s.contactId, s.otherContactId].includes(call.body.decision.contactId),
    );
    expect(suggestion).toBeDefined();
    const merged = await ctx.request('POST', `/api/v1/merge-suggestions/${suggestion.id}/resolve`, {
      action: 'merge',
    });
    expect(merged.status).toBe(200);
    const contacts = await ctx.request('GET', `/api/v1/contacts?phone=${phone}`);
    expect(contacts.body.contacts).toHaveLength(1);
    const contact = await ctx.request('GET', `/api/v1/contacts/${contacts.body.contacts[0].id}`);
    expect(contact.body.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['phone', 'viber']);
  });

  describe('replies', () => {
    async function conversationOf(user: string) {
      await post(fixture('message-text.json', user));
      const [row] = await ctx.db.sql<{ id: string }[]>`
        SELECT id FROM conversations WHERE channel = 'viber' AND thread_key = ${`user:${user}`}`;
      return row!.id;
    }
    const reply = (conversationId: string, text: string) => {
      ctx.clock.advance(1000);
      return ctx.request('POST', `/api/v1/conversations/${conversationId}/messages`, { text });
    };

    it('sends with send_message under the sender name and records it with the exact token', async () => {
      const user = freshUser();
      const conv = await conversationOf(user);
      const res = await reply(conv, 'Доставка 500 ₽');
      expect(res.status).toBe(201);
      expect(res.body.externalId).toMatch(/^57413118035717\d{5}$/);
      const sent = JSON.parse(viber.sends().at(-1)!.body);
      expect(sent).toMatchObject({
        receiver: user,
        sender: { name: 'Мебель-Фабрика' },
        type: 'text',
        text: 'Доставка 500 ₽',
      });
      expect(await outcomes(user)).toEqual(['new_lead', 'outbound']);
    });

    it('a 200 with status != 0 is a failure: 502 with Viber’s reason, nothing recorded as sent', async () => {
      const user = freshUser();
      const conv = await conversationOf(user);
      viber.sendFaults.add({
        reply: { status: 200, body: fixtureText('viber/send_message-not-subscribed.json') },
        times: 1,
      });
      const res = await reply(conv, 'Вы тут?');
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain('status 6 (receiverNotSubscribed)');
      expect(await outcomes(user)).toEqual(['new_lead']);
    });

    it('a user who unsubscribed is refused before Viber is called, with the reason; writing again reopens the chat', async () => {
      const user = freshUser();
      const conv = await conversationOf(user);
      const before = viber.sends().length;
      // Viber's own time of the event (fixture: 2020-07-21) is what counts, not when it reached us.
      expect((await post(fixture('unsubscribed.json', user))).status).toBe(200);
      const refused = await reply(conv, 'Вы тут?');
      expect(refused.status).toBe(422);
      expect(refused.body.error.message).toContain('unsubscribed from the Viber bot on 2020-07-21');
      expect(refused.body.error.details).toEqual({
        reason: 'viber_unsubscribed',
        unsubscribedAt: '2020-07-21T16:11:25.535Z',
      });
      expect(viber.sends().length).toBe(before);
      // The contact card shows it.
      const [contact] = await ctx.db.sql<{ contactId: string }[]>`
        SELECT contact_id FROM conversations WHERE id = ${conv}`;
      const card = await ctx.request('GET', `/api/v1/contacts/${contact!.contactId}`);
      expect(card.body.identities).toContainEqual(
        expect.objectContaining({
          kind: 'viber',
          value: `bot:${user}`,
          chatBlockedAt: '2020-07-21T16:11:25.535Z',
          chatBlockedReason: 'the client unsubscribed from the Viber bot',
        }),
      );
      // An older callback retried late (subscribed, 2016) does not reopen it.
      await post(fixture('subscribed.json', user));
      expect((await reply(conv, 'Вы тут?')).status).toBe(422);
      // A message newer than the unsubscription does (a user's message subscribes them).
      const later = fixture('message-text.json', user).replace(
        /"timestamp":\d+/,
        '"timestamp":1700000000000',
      );
      expect((await post(later)).status).toBe(200);
      expect((await reply(conv, 'Снова на связи')).status).toBe(201);
      expect(viber.sends().length).toBe(before + 1);
    });

    it('Viber’s “receiver not subscribed” marks the chat, so the next reply is refused without calling Viber', async () => {
      const user = freshUser();
      const conv = await conversationOf(user);
      viber.sendFaults.add({
        reply: { status: 200, body: fixtureText('viber/send_message-not-subscribed.json') },
        times: 1,
      });
      expect((await reply(conv, 'Первая')).status).toBe(502);
      const before = viber.sends().length;
      const again = await reply(conv, 'Вторая');
      expect(again.status).toBe(422);
      expect(again.body.error.details.reason).toBe('viber_unsubscribed');
      expect(viber.sends().length).toBe(before);
    });

    it('Viber’s rate limit (status 12) is retried', async () => {
      const user = freshUser();
      const conv = await conversationOf(user);
      viber.sendFaults.add({
        reply: { status: 200, body: '{"status":12,"status_message":"tooManyRequests"}' },
        times: 2,
      });
      const res = await reply(conv, 'Со второй попытки');
      expect(res.status).toBe(201);
    });
  });

  it('connect sets the webhook and reports Viber’s answer; /readyz shows the bot', async () => {
    const report = await ctx.source('viber')!.connect!('bot', { publicUrl: 'https://sb.example.ru/' });
    expect(report).toEqual({
      ok: true,
      lines: [
        'Viber set the webhook https://sb.example.ru/webhooks/viber/bot',
        'Viber answered: status 0 (ok)',
      ],
    });
    const [req] = viber.http.requests.filter((r) => r.path === '/pa/set_webhook');
    expect(JSON.parse(req!.body)).toMatchObject({
      url: 'https://sb.example.ru/webhooks/viber/bot',
      send_name: true,
    });
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.viber.bot).toMatchObject({ transport: 'webhook', connected: true });
  });
});
