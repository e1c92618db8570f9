import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS } from '../src/channels/index.js';
import { defineWhatsappChannel } from '../src/channels/whatsapp/index.js';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { type HttpRecorder, startHttpRecorder } from './support/http-recorder.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';
import { fixture } from './support/whatsapp-fixtures.js';

/**
 * The Green-API transport end to end: webhooks into the app (token, store-before-200, rejected bodies), the
 * decision, and replies through a loopback fake of Green-API's HTTP API (sendMessage, refusals, rate limits).
 */
const WEBHOOK_TOKEN = 'green-webhook-token-0123';
const API_TOKEN = 'd75b3a66374942c5b3c019c698abc2067e151558acbd412345';

describe.each(backends())('WhatsApp through Green-API, on %s', (backend) => {
  let ctx: TestContext;
  let green: HttpRecorder;
  const sendPath = `POST /waInstance1101000001/sendMessage/${API_TOKEN}`;
  beforeAll(async () => {
    green = await startHttpRecorder();
    ctx = await createTestContext(
      backend,
      {
        channels: {
          whatsapp: [
            {
              account: 'shop',
              transport: 'gateway',
              apiRoot: green.url,
              idInstance: '1101000001',
              apiTokenInstance: API_TOKEN,
              webhookToken: WEBHOOK_TOKEN,
              retryDelayMs: 0,
            },
          ],
        },
      },
      {
        channels: [
          ...CHANNELS.filter((c) => c.name !== 'whatsapp'),
          defineWhatsappChannel({ sleep: async () => {} }),
        ],
      },
    );
  });
  afterAll(async () => {
    await ctx?.close();
    await green?.close();
  });
  beforeEach(() => green.reset());

  /** A fixture whose client is a fresh phone, so tests sharing a database never collide. */
  const notification = (
    name: string,
    phone = freshPhone(),
    id = `ID${phone}${Math.random().toString(16).slice(2, 8)}`,
  ) => {
    const n = fixture('green-api', name) as {
      typeWebhook: string;
      senderData?: { chatId: string; sender: string };
      idMessage: string;
    };
    if (n.senderData) {
      const chatId = n.senderData.chatId.endsWith('@c.us') ? `7${phone}@c.us` : n.senderData.chatId;
      n.senderData = {
        ...n.senderData,
        chatId,
        ...(n.typeWebhook === 'incomingMessageReceived' ? { sender: chatId } : {}),
      } as never;
    }
    n.idMessage = id;
    return n;
  };
  const post = (body: unknown, auth: string | null = `Bearer ${WEBHOOK_TOKEN}`, account = 'shop') =>
    ctx.request('POST', `/webhooks/whatsapp/${account}`, undefined, {
      token: null,
      raw: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    });
  const eventsOf = (externalId: string) =>
    ctx.db.sql<{ status: string; decision: { kind: string; rule: string }[] }[]>`
      SELECT status, decision FROM inbound_events WHERE source = 'whatsapp' AND external_id = ${externalId}
      ORDER BY decision->0->>'kind' DESC`;
  const count = async () =>
    (
      await ctx.db.sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM inbound_events WHERE source = 'whatsapp'`
    )[0]!.n;

  it('refuses a forged or missing token and an unknown account, storing nothing', async () => {
    const before = await count();
    const body = notification('incoming-text.json');
    expect((await post(body, 'Bearer not-the-token-000000')).status).toBe(401);
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, `Bearer ${WEBHOOK_TOKEN}`, 'elsewhere')).status).toBe(404);
    expect(await count()).toBe(before);
  });

  it('stores and decides an incoming message; a redelivery is a duplicate (dedup on chatId_idMessage)', async () => {
    const phone = freshPhone();
    const body = notification('incoming-text.json', phone);
    // The token also works without the Bearer prefix.
    expect(await post(body, WEBHOOK_TOKEN)).toEqual({ status: 200, body: { ok: true } });
    expect((await post(body)).status).toBe(200);
    const events = await eventsOf(`7${phone}@c.us_${body.idMessage}`);
    expect(events.map((e) => [e.status, e.decision[0]!.kind])).toEqual([
      ['processed', 'new_lead'],
      ['processed', 'duplicate'],
    ]);
    const contacts = await ctx.request('GET', `/api/v1/contacts?phone=8${phone}`);
    expect(contacts.body.contacts).toHaveLength(1);
    expect(contacts.body.contacts[0].name).toBe('Ирина');
  });

  it('keeps a body that is not a notification as rejected and answers 400', async () => {
    const notJson = await post('{"typeWebhook": "incomingMessageReceived"');
    expect(notJson.status).toBe(400);
    const wrong = await post({ typeWebhook: 'incomingMessageReceived', timestamp: 'soon' });
    expect(wrong.status).toBe(400);
    const rows = await ctx.db.sql<{ id: string; status: string; lastError: string; raw: Uint8Array }[]>`
      SELECT id, status, last_error, raw FROM inbound_events
      WHERE id IN (${notJson.body.eventId}, ${wrong.body.eventId}) ORDER BY received_at, id`;
    expect(rows.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(Buffer.from(rows.find((r) => r.id === notJson.body.eventId)!.raw).toString()).toBe(
      '{"typeWebhook": "incomingMessageReceived"',
    );
  });

  it('our own messages are outbound; statuses, state changes and groups are recorded, never leads', async () => {
    const phone = freshPhone();
    await post(notification('incoming-text.json', phone));
    const typed = notification('outgoing-phone.json', phone);
    await post(typed);
    expect((await eventsOf(`7${phone}@c.us_${typed.idMessage}`))[0]!.decision[0]!.kind).toBe('outbound');

    const group = notification('incoming-group.json');
    const status = notification('outgoing-status.json');
    const state = fixture('green-api', 'state-instance-changed.json');
    for (const body of [group, status, state]) expect((await post(body)).status).toBe(200);
    const [groupEvent] = await eventsOf(`120363041234567890@g.us_${group.idMessage}`);
    expect(groupEvent!.status).toBe('processed');
    const recorded = await ctx.db.sql<{ status: string; rule: string }[]>`
      SELECT status, skipped->0->>'rule' AS rule FROM inbound_events
      WHERE source = 'whatsapp' AND payload->'notification'->>'typeWebhook' IN ('outgoingMessageStatus', 'stateInstanceChanged')`;
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    for (const r of recorded) expect(r).toEqual({ status: 'processed', rule: 'skip_gateway_notification' });
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.whatsapp.shop).toMatchObject({ transport: 'gateway', state: 'notAuthorized' });
  });

  it('copies a short-lived media file into the data directory before deciding', async () => {
    green.on('GET /media/photo.jpg', () => ({
      status: 200,
      headers: { 'content-type': 'image/jpeg' },
      body: 'JPEGBYTES',
    }));
    const body = notification('incoming-image.json') as ReturnType<typeof notification> & {
      messageData: { fileMessageData: { downloadUrl: string } };
    };
    body.messageData.fileMessageData.downloadUrl = `${green.url}/media/photo.jpg`;
    expect((await post(body)).status).toBe(200);
    const [msg] = await ctx.db.sql<{ meta: { media: { path: string; size: number; mimetype: string } } }[]>`
      SELECT m.meta FROM messages m JOIN inbound_events e ON e.id = m.inbound_event_id
      WHERE e.external_id = ${`${body.senderData!.chatId}_${body.idMessage}`}`;
    expect(msg!.meta.media).toMatchObject({ size: 9, mimetype: 'image/jpeg' });
    expect(await readFile(path.join(ctx.dataDir, msg!.meta.media.path), 'utf8')).toBe('JPEGBYTES');
    expect((await readdir(path.join(ctx.dataDir, 'whatsapp', 'shop', 'media'))).length).toBeGreaterThan(0);
  });

  const conversationOf = async (phone: string) => {
    await post(notification('incoming-text.json', phone));
    const [conv] = await ctx.db.sql<{ id: string }[]>`
      SELECT id FROM conversations WHERE channel = 'whatsapp' AND thread_key = ${`chat:7${phone}@c.us`}`;
    return conv!.id;
  };
  const reply = (conversationId: string, text: string, key?: string) =>
    ctx.request(
      'POST',
      `/api/v1/conversations/${conversationId}/messages`,
      { text },
      key ? { headers: { 'idempotency-key': key } } : {},
    );

  it('a reply goes out with sendMessage; Green-API’s echo of it is a duplicate', async () => {
    const phone = freshPhone();
    const id = await conversationOf(phone);
    green.on(sendPath, () => ({ body: JSON.stringify({ idMessage: `3EB0${phone}` }) }));
    const res = await reply(id, 'Доставка завтра');
    expect(res.status).toBe(201);
    expect(green.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', `/waInstance1101000001/sendMessage/${API_TOKEN}`],
    ]);
    expect(JSON.parse(green.requests[0]!.body)).toEqual({
      chatId: `7${phone}@c.us`,
      message: 'Доставка завтра',
    });
    const echo = notification('outgoing-api.json', phone, `3EB0${phone}`);
    await post(echo);
    const events = await eventsOf(`7${phone}@c.us_3EB0${phone}`);
    expect(events.map((e) => e.decision[0]!.kind)).toEqual(['outbound', 'duplicate']);
  });

  it('429 and 5xx are retried; a refusal is a clear error, stored as failed', async () => {
    const id = await conversationOf(freshPhone());
    let calls = 0;
    green.on(sendPath, () =>
      ++calls === 1
        ? { status: 429, body: '{"message":"Too Many Requests"}' }
        : { body: '{"idMessage":"3EB0RETRY"}' },
    );
    expect((await reply(id, 'Через минуту')).status).toBe(201);
    expect(calls).toBe(2);

    green.on(sendPath, () => ({ status: 502, body: 'bad gateway' }));
    const down = await reply(id, 'Ещё раз', 'k-down');
    expect(down.status).toBe(502);
    expect(down.body.error.message).toContain('HTTP 502');
    expect(down.body.error.message).not.toContain(API_TOKEN);
    expect(green.requests.filter((r) => r.path.includes('sendMessage')).length).toBe(2 + 3);

    green.on(sendPath, () => ({ status: 400, body: '{"message":"chatId is invalid"}' }));
    const refused = await reply(id, 'Не дойдёт', 'k-refused');
    expect(refused.status).toBe(502);
    expect(refused.body.error.message).toContain('chatId is invalid');
    const [row] = await ctx.db.sql<{ status: string }[]>`
      SELECT status FROM replies WHERE conversation_id = ${id} AND idempotency_key = 'k-refused'`;
    expect(row!.status).toBe('failed');
  });

  it('466 (the Developer plan’s monthly quota) is not retried: a clear error, stored as failed', async () => {
    const id = await conversationOf(freshPhone());
    let calls = 0;
    // The 466 body as Green-API documents it (docs/api/466-error-example-body).
    green.on(sendPath, () => {
      calls++;
      return {
        status: 466,
        body: JSON.stringify({
          invokeStatus: {
            method: 'sendmessage',
            used: 67,
            total: 0,
            status: 'QUOTE_EXCEEDED',
            description: 'Monthly quota has been exceeded.',
          },
        }),
      };
    });
    const res = await reply(id, 'Квота', 'k-quota');
    expect(res.status).toBe(502);
    expect(res.body.error.message).toContain('HTTP 466');
    expect(res.body.error.message).toContain('QUOTE_EXCEEDED');
    expect(res.body.error.message).not.toContain(API_TOKEN);
    expect(calls).toBe(1);
    const [row] = await ctx.db.sql<{ status: string }[]>`
      SELECT status FROM replies WHERE conversation_id = ${id} AND idempotency_key = 'k-quota'`;
    expect(row!.status).toBe('failed');
  });

  it('one person writing on WhatsApp and then calling from the same number is one contact', async () => {
    const phone = freshPhone();
    await post(notification('incoming-text.json', phone));
    const call = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({
        channel: 'phone',
        account: 'pbx',
        from: { phones: [`+7 ${phone}`] },
        call: { state: 'missed' },
      }),
    );
    expect(call.status).toBeLessThan(300);
    const contacts = await ctx.request('GET', `/api/v1/contacts?phone=8${phone}`);
    expect(contacts.body.contacts).toHaveLength(1);
    const contact = await ctx.request('GET', `/api/v1/contacts/${contacts.body.contacts[0].id}`);
    expect(contact.body.leads).toHaveLength(1);
  });
});
