import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ChannelContext,
  type ChannelDefinition,
  type ChannelModule,
  defineChannel,
} from '../src/channels/channel.js';
import { CHANNELS, createChannels } from '../src/channels/index.js';
import { refuse, unknownAccount, webhookRoute } from '../src/channels/webhook/route.js';
import { secretEquals } from '../src/channels/webhook/verify.js';
import type { InboundCommunication } from '../src/core/communication.js';
import { SwitchboardError } from '../src/core/errors.js';
import type { NormalizeResult } from '../src/core/normalize.js';
import { createTestContext, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

/**
 * A channel that exists only in this test: its own "folder" (this file) plus one entry in the channel list
 * handed to the pipeline. Nothing in the daemon, the HTTP app or the pipeline knows its name, yet its webhook
 * is mounted and verified, its payloads are stored before the answer, normalized by the processor, decided by
 * the lead rules, its replier answers conversations and its transport shows in /readyz.
 */
const SECRET = 'test-chat-secret-0123';
const payloadSchema = z.object({
  id: z.string().min(1),
  from: z.object({ userId: z.string().min(1), phone: z.string().optional(), name: z.string().optional() }),
  text: z.string(),
});

// Its conversations are of a kind no real channel replies on (the real Viber channel owns 'viber' replies).
function normalizeTestChat(payload: unknown): NormalizeResult {
  const stored = payload as { account?: string; update?: unknown; outbound?: boolean } | null;
  const parsed = payloadSchema.safeParse(stored?.update);
  if (!stored?.account || !parsed.success) return { ok: false, error: 'not a test-chat update' };
  const u = parsed.data;
  const comm: InboundCommunication = {
    kind: 'message',
    channel: 'webform',
    account: stored.account,
    externalId: u.id,
    direction: stored.outbound ? 'out' : 'in',
    occurredAt: new Date('2026-11-20T09:30:00Z'),
    party: {
      ...(u.from.name ? { name: u.from.name } : {}),
      identities: [
        { kind: 'viber', account: stored.account, value: u.from.userId },
        ...(u.from.phone ? [{ kind: 'phone' as const, value: u.from.phone }] : []),
      ],
      hints: [],
    },
    threadKey: `chat:${u.from.userId}`,
    text: u.text,
  };
  return { ok: true, communications: [comm] };
}

interface TestChatState {
  sent: string[];
  decided: number;
  started: number;
  stopped: number;
  failNext: boolean;
}

function testChatChannel(state: TestChatState) {
  return defineChannel({
    name: 'testchat',
    create: (ctx: ChannelContext): ChannelModule => ({
      name: 'testchat',
      normalize: normalizeTestChat,
      webhooks: [
        webhookRoute<unknown>({
          method: 'POST',
          path: '',
          verify(req) {
            if (req.account !== 'shop') return unknownAccount();
            if (!secretEquals(req.header('x-test-secret'), SECRET))
              return refuse(403, 'wrong secret', 'forbidden');
            return { ok: true, value: undefined };
          },
          async handle(req) {
            let update: unknown;
            try {
              update = JSON.parse(req.text());
            } catch {
              update = undefined;
            }
            const parsed = payloadSchema.safeParse(update);
            if (!parsed.success) {
              await ctx.intake.reject({
                source: 'testchat',
                account: req.account,
                payload: { account: req.account, update: update ?? null },
                raw: req.body,
                reason: 'not a test-chat update',
              });
              return { status: 400, json: { error: 'bad update' } };
            }
            const id = await ctx.intake.accept({
              source: 'testchat',
              account: req.account,
              externalId: parsed.data.id,
              payload: { account: req.account, update },
            });
            const outcome = await ctx.intake.process(id);
            return { status: 200, text: outcome.status === 'processed' ? 'ok' : 'stored' };
          },
        }),
      ],
      replier: {
        channel: 'webform',
        async send(conversation, request) {
          if (state.failNext) {
            state.failNext = false;
            throw new SwitchboardError('upstream_failed', 'the provider refused: chat not found', {
              retryable: true,
            });
          }
          state.sent.push(request.text);
          const externalId = `out-${request.replyId}`;
          return {
            externalId,
            record: {
              payload: {
                account: conversation.account,
                update: {
                  id: externalId,
                  from: { userId: conversation.threadKey.slice(5) },
                  text: request.text,
                },
                outbound: true,
              },
            },
          };
        },
      },
      transport: {
        start: () => {
          state.started++;
        },
        stop: async () => {
          state.stopped++;
        },
        status: () => ({ shop: { connected: true, started: state.started } }),
      },
      afterDecision: async () => {
        state.decided++;
      },
    }),
  });
}

describe.each(backends())('a channel defined in a test plugs in with one list entry, on %s', (backend) => {
  const state: TestChatState = { sent: [], decided: 0, started: 0, stopped: 0, failNext: false };
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend, {}, { channels: [...CHANNELS, testChatChannel(state)] });
  });
  afterAll(() => ctx?.close());

  const post = (account: string, body: string, secret: string | null = SECRET) =>
    ctx.request('POST', `/webhooks/testchat/${account}`, undefined, {
      token: null,
      raw: body,
      headers: { 'content-type': 'application/json', ...(secret ? { 'x-test-secret': secret } : {}) },
    });
  const stored = async () =>
    (
      await ctx.db.sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM inbound_events WHERE source = 'testchat'`
    )[0]!.n;

  it('refuses a wrong or missing secret and an unknown account, storing nothing', async () => {
    const body = JSON.stringify({ id: 'm-0', from: { userId: 'u-0' }, text: 'x' });
    expect((await post('shop', body, 'wrong-secret')).status).toBe(403);
    expect((await post('shop', body, null)).status).toBe(403);
    expect(await post('elsewhere', body)).toEqual({ status: 404, body: { error: 'Unknown account' } });
    expect(await stored()).toBe(0);
  });

  it('stores, normalizes and decides a message; a redelivery is a duplicate, not a second lead', async () => {
    const phone = freshPhone();
    const body = JSON.stringify({
      id: `m-${phone}`,
      from: { userId: `u-${phone}`, phone, name: 'Ольга' },
      text: 'Нужен стол',
    });
    expect(await post('shop', body)).toEqual({ status: 200, body: 'ok' });
    expect(await post('shop', body)).toEqual({ status: 200, body: 'ok' });
    const events = await ctx.db.sql<{ status: string; decision: { kind: string }[] }[]>`
      SELECT status, decision FROM inbound_events WHERE source = 'testchat' AND external_id = ${`m-${phone}`}
      ORDER BY decision->0->>'kind' DESC`;
    expect(events.map((e) => [e.status, e.decision[0]!.kind])).toEqual([
      ['processed', 'new_lead'],
      ['processed', 'duplicate'],
    ]);
    // The hook ran once: never for a duplicate.
    expect(state.decided).toBe(1);
    // Found by the phone in another format: one contact with one lead.
    const res = await ctx.request('GET', `/api/v1/contacts?phone=8${phone}`);
    expect(res.body.contacts).toHaveLength(1);
    const contact = await ctx.request('GET', `/api/v1/contacts/${res.body.contacts[0].id}`);
    expect(contact.status).toBe(200);
    expect(contact.body.leads).toHaveLength(1);
  });

  it('keeps a malformed update as rejected with its reason and answers 400', async () => {
    expect((await post('shop', '{"id": 7}')).status).toBe(400);
    const [row] = await ctx.db.sql<{ status: string; lastError: string }[]>`
      SELECT status, last_error FROM inbound_events WHERE source = 'testchat' AND status = 'rejected'`;
    expect(row).toEqual({ status: 'rejected', lastError: 'not a test-chat update' });
  });

  it('answers a conversation through its replier, and its transport is in /readyz', async () => {
    const phone = freshPhone();
    await post(
      'shop',
      JSON.stringify({ id: `r-${phone}`, from: { userId: `r-${phone}`, phone }, text: 'Есть?' }),
    );
    const [conv] = await ctx.db.sql<{ id: string }[]>`
      SELECT id FROM conversations WHERE channel = 'webform' AND thread_key = ${`chat:r-${phone}`}`;
    const reply = await ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, {
      text: 'Да, есть',
    });
    expect(reply.status).toBe(201);
    expect(state.sent).toContain('Да, есть');
    // Component details are for authenticated callers (issue 16 item 15).
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.testchat).toEqual({ shop: { connected: true, started: 0 } });
    expect((await ctx.request('GET', '/readyz', undefined, { token: null })).body.testchat).toBeUndefined();
  });

  describe('a manager’s reply is stored before it is sent and never sent twice', () => {
    const conversationOf = async () => {
      const phone = freshPhone();
      await post(
        'shop',
        JSON.stringify({ id: `i-${phone}`, from: { userId: `i-${phone}`, phone }, text: 'Цена?' }),
      );
      const [conv] = await ctx.db.sql<{ id: string }[]>`
        SELECT id FROM conversations WHERE channel = 'webform' AND thread_key = ${`chat:i-${phone}`}`;
      return conv!.id;
    };
    const reply = (conversationId: string, text: string, key?: string) =>
      ctx.request(
        'POST',
        `/api/v1/conversations/${conversationId}/messages`,
        { text },
        {
          ...(key ? { headers: { 'idempotency-key': key } } : {}),
        },
      );
    const repliesOf = (conversationId: string) =>
      ctx.db.sql<{ status: string; attempts: number; lastError: string | null }[]>`
        SELECT status, attempts, last_error FROM replies WHERE conversation_id = ${conversationId}`;

    it('the same Idempotency-Key twice: one send, the stored result again', async () => {
      const id = await conversationOf();
      const before = state.sent.length;
      const first = await reply(id, 'Цена 12 000 ₽', 'key-1');
      const second = await reply(id, 'Цена 12 000 ₽', 'key-1');
      expect(first.status).toBe(201);
      expect(second).toEqual(first);
      expect(state.sent.length).toBe(before + 1);
      const outbound = await ctx.db.sql`
        SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.id = ${id} AND m.direction = 'out'`;
      expect(outbound).toHaveLength(1);
      expect(await repliesOf(id)).toEqual([{ status: 'sent', attempts: 1, lastError: null }]);
    });

    it('a refused send is recorded as failed (502) and sent on a retry with the same key', async () => {
      const id = await conversationOf();
      state.failNext = true;
      const failed = await reply(id, 'Доставка завтра', 'key-2');
      expect(failed.status).toBe(502);
      expect(failed.body.error.message).toBe('the provider refused: chat not found');
      expect(await repliesOf(id)).toEqual([
        { status: 'failed', attempts: 1, lastError: 'the provider refused: chat not found' },
      ]);
      const retried = await reply(id, 'Доставка завтра', 'key-2');
      expect(retried.status).toBe(201);
      expect(await repliesOf(id)).toEqual([{ status: 'sent', attempts: 2, lastError: null }]);
    });

    it('a reply whose outcome is unknown is refused, not repeated; a key reused for other text is refused', async () => {
      const id = await conversationOf();
      // The daemon died between sending and recording: the reply is still pending.
      await ctx.db.sql`
        INSERT INTO replies (id, conversation_id, idempotency_key, channel, account, actor, body, status, created_at, updated_at)
        VALUES (gen_random_uuid(), ${id}, 'key-3', 'webform', 'shop', 'api:crm', 'Счёт отправлен', 'pending', now(), now())`;
      const before = state.sent.length;
      const again = await reply(id, 'Счёт отправлен', 'key-3');
      expect(again.status).toBe(409);
      expect(state.sent.length).toBe(before);
      await reply(id, 'Первый ответ', 'key-4');
      expect((await reply(id, 'Другой текст', 'key-4')).status).toBe(422);
    });
  });
});

describe('the channel list', () => {
  it('refuses two channels with one name', () => {
    const twin: ChannelDefinition = {
      name: 'email',
      create: () => ({ name: 'email', normalize: () => ({ ok: true, communications: [] }) }),
    };
    expect(() => createChannels({} as ChannelContext, [twin, twin])).toThrow(
      'two channels are named "email"',
    );
  });

  it('every channel builds a module named after it', () => {
    expect(CHANNELS.map((c) => c.name)).toEqual([
      'api',
      'email',
      'megafon',
      'mango',
      'vk',
      'avito',
      'viber',
      'telegram',
      'max',
    ]);
  });
});
