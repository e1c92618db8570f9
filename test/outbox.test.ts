import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_HEADER,
  IDEMPOTENCY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySignedBody,
} from '../src/crm/outbox/signed-post.js';
import { claimHead } from '../src/crm/outbox/store.js';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { type RecordedRequest, startHttpRecorder } from './support/http-recorder.js';
import { backends } from './support/pg.js';

const SECRET = 'hook-secret-0123456789';

describe.each(backends())('outbox: signed webhooks on %s', (backend) => {
  let ctx: TestContext;
  let receiver: Awaited<ReturnType<typeof startHttpRecorder>>;
  /** What the receiver accepted, deduplicated by Idempotency-Key as the docs tell receivers to do. */
  const accepted = new Map<string, RecordedRequest>();
  let answer = 200;

  beforeAll(async () => {
    receiver = await startHttpRecorder();
    receiver.on('POST /hook', (req) => {
      if (answer !== 200) return { status: answer, body: '{}' };
      const t = Number(req.headers[TIMESTAMP_HEADER]);
      const signature = req.headers[SIGNATURE_HEADER] as string;
      if (!verifySignedBody(SECRET, req.body, signature, t)) return { status: 401, body: '{}' };
      const key = req.headers[IDEMPOTENCY_HEADER] as string;
      if (!accepted.has(key)) accepted.set(key, req);
      return { status: 200, body: '{}' };
    });
    ctx = await createTestContext(backend, {
      webhooks: [
        {
          name: 'crm',
          url: `${receiver.url}/hook`,
          secret: SECRET,
          events: ['lead.created', 'lead.updated', 'message.created', 'call.ended'],
        },
      ],
      outbox: { retryBaseMs: 1000, maxAttempts: 3, leaseMs: 60_000 },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    await receiver?.close();
  });

  const send = async (overrides: Record<string, unknown> = {}) => {
    const r = await ctx.request('POST', '/api/v1/inbound', inboundBody(overrides));
    expect(r.status).toBe(200);
    return r.body.decision as { kind: string; leadId: string; messageId: string };
  };
  const typesFor = (leadId: string) =>
    [...accepted.values()]
      .map((r) => JSON.parse(r.body) as { type: string; data: { leadId?: string } })
      .filter((e) => e.data.leadId === leadId)
      .map((e) => e.type);

  it('a new lead is delivered as lead.created then message.created, signed over timestamp + body', async () => {
    const d = await send({ from: { name: 'Анна', phones: ['+7 912 000-00-01'] } });
    expect(d.kind).toBe('new_lead');
    expect(await ctx.outbox.worker.runOnce()).toBe(2);
    expect(typesFor(d.leadId)).toEqual(['lead.created', 'message.created']);
    const req = [...accepted.values()].find((r) => r.body.includes(d.leadId))!;
    expect(req.headers[EVENT_HEADER]).toBe('lead.created');
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ type: 'lead.created', data: { leadId: d.leadId, channel: 'webform' } });
    expect(req.headers[IDEMPOTENCY_HEADER]).toBe(body.id);
    // A forged body does not verify with the header it came with.
    const t = Number(req.headers[TIMESTAMP_HEADER]);
    expect(
      verifySignedBody(
        SECRET,
        req.body.replace('webform', 'email'),
        req.headers[SIGNATURE_HEADER] as string,
        t,
      ),
    ).toBe(false);
    expect(verifySignedBody(SECRET, req.body, req.headers[SIGNATURE_HEADER] as string, t + 1)).toBe(false);
  });

  it('an outage of the receiver is retried with backoff and delivered in order', async () => {
    answer = 503;
    const first = await send({ from: { phones: ['+7 912 000-00-02'] } });
    const second = await send({ from: { phones: ['+7 912 000-00-03'] } });
    const before = receiver.requests.length;
    expect(await ctx.outbox.worker.runOnce()).toBe(0);
    // Only the head was tried: the rows behind it wait for it.
    expect(receiver.requests.length - before).toBe(1);
    const failedOnce = await ctx.request('GET', '/api/v1/outbox?subscriber=webhook:crm&status=pending');
    expect(failedOnce.body.items.at(-1)).toMatchObject({ attempts: 1, lastError: 'webhook crm: HTTP 503' });
    // Not due yet: nothing is sent.
    await ctx.outbox.worker.runOnce();
    expect(receiver.requests.length - before).toBe(1);
    answer = 200;
    ctx.clock.advance(1_000);
    expect(await ctx.outbox.worker.runOnce()).toBe(4);
    expect(typesFor(first.leadId)).toEqual(['lead.created', 'message.created']);
    expect(typesFor(second.leadId)).toEqual(['lead.created', 'message.created']);
    const order = [...accepted.values()].map((r) => JSON.parse(r.body).data.leadId);
    expect(order.indexOf(first.leadId)).toBeLessThan(order.indexOf(second.leadId));
    const [log] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id
      WHERE o.payload->'data'->>'leadId' = ${first.leadId}`;
    expect(log!.n).toBe(3); // 503, then the two deliveries
    const counter = await ctx.metrics.outbox.get();
    const retries = counter.values.filter((v) => v.labels.outcome === 'retry');
    expect(retries.map((v) => [v.labels.subscriber, v.value])).toEqual([['webhook:crm', 1]]);
  });

  it('a refused event is dead-lettered at once, does not block the next, and is replayed through the API', async () => {
    answer = 400;
    const d = await send({ from: { phones: ['+7 912 000-00-04'] } });
    await ctx.outbox.worker.runOnce();
    const failed = await ctx.request('GET', '/api/v1/outbox?status=failed');
    const row = failed.body.items.find(
      (i: { type: string; payload: { data: { leadId: string } } }) =>
        i.type === 'lead.created' && i.payload.data.leadId === d.leadId,
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastError: 'webhook crm: HTTP 400' });
    // The worker moved past the dead letter in the same pass: the row behind it was tried too.
    const next = failed.body.items.find(
      (i: { type: string; payload: { data: { leadId: string } } }) =>
        i.type === 'message.created' && i.payload.data.leadId === d.leadId,
    );
    expect(next).toMatchObject({ status: 'failed', attempts: 1 });
    answer = 200;
    const retried = await ctx.request('POST', `/api/v1/outbox/${row.id}/retry`);
    expect(retried.body).toMatchObject({ status: 'pending', attempts: 0 });
    await ctx.outbox.worker.runOnce();
    expect(typesFor(d.leadId)).toContain('lead.created');
    expect(
      (await ctx.request('POST', '/api/v1/outbox/00000000-0000-4000-8000-000000000000/retry')).status,
    ).toBe(404);
  });

  it('a daemon that died mid-delivery: after its lease another delivers with the same key, seen once', async () => {
    const d = await send({ from: { phones: ['+7 912 000-00-05'] } });
    const now = ctx.clock.clock();
    const claimed = await claimHead(ctx.db.sql, 'webhook:crm', 'dead-daemon', now, 60_000);
    expect(claimed?.type).toBe('lead.created');
    // The dead daemon had sent it: the receiver got it, the row was never settled.
    await fetch(`${receiver.url}/hook`, {
      method: 'POST',
      headers: await signedHeaders(claimed!.payload, claimed!.eventId, now),
      body: JSON.stringify(claimed!.payload),
    });
    expect(await ctx.outbox.worker.runOnce()).toBe(0); // the lease holds
    ctx.clock.advance(61_000);
    expect(await ctx.outbox.worker.runOnce()).toBe(2);
    const sent = receiver.requests.filter(
      (r) => r.body.includes(d.leadId) && r.body.includes('lead.created'),
    );
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((r) => r.headers[IDEMPOTENCY_HEADER])).size).toBe(1);
    expect(typesFor(d.leadId)).toEqual(['lead.created', 'message.created']);
  });

  it('a PBX call is call.ended after its message.created, with the calls row and its lead', async () => {
    const d = await send({
      channel: 'phone',
      account: 'office',
      subject: undefined,
      text: undefined,
      from: { phones: ['+7 912 000-00-07'] },
      call: { state: 'missed', dialled: '8 (495) 123-45-67', waitSeconds: 12 },
    });
    await ctx.outbox.worker.runOnce();
    expect(typesFor(d.leadId)).toEqual(['lead.created', 'message.created', 'call.ended']);
    const ended = [...accepted.values()]
      .map((r) => JSON.parse(r.body))
      .find((e) => e.type === 'call.ended' && e.data.leadId === d.leadId);
    const [call] = await ctx.db.sql<{ id: string }[]>`SELECT id FROM calls WHERE message_id = ${d.messageId}`;
    expect(ended.data).toMatchObject({
      callId: call!.id,
      provider: 'api',
      direction: 'in',
      state: 'missed',
      clientPhone: '+79120000007',
      dialled: '+74951234567',
      waitSeconds: 12,
      messageId: d.messageId,
    });
    expect(Number.isNaN(Date.parse(ended.data.startedAt))).toBe(false);
  });

  it('a status change is lead.updated', async () => {
    const d = await send({ from: { phones: ['+7 912 000-00-06'] } });
    const patched = await ctx.request('PATCH', `/api/v1/leads/${d.leadId}`, { status: 'in_progress' });
    expect(patched.status).toBe(200);
    await ctx.outbox.worker.runOnce();
    expect(typesFor(d.leadId)).toEqual(['lead.created', 'message.created', 'lead.updated']);
    const updated = [...accepted.values()]
      .map((r) => JSON.parse(r.body))
      .find((e) => e.type === 'lead.updated');
    expect(updated.data).toMatchObject({ status: 'in_progress', previousStatus: 'new' });
  });
});

async function signedHeaders(payload: unknown, key: string, now: Date) {
  const { signBody } = await import('../src/crm/outbox/signed-post.js');
  const t = Math.floor(now.getTime() / 1000);
  return {
    'content-type': 'application/json',
    [SIGNATURE_HEADER]: signBody(SECRET, JSON.stringify(payload), t),
    [TIMESTAMP_HEADER]: String(t),
    [IDEMPOTENCY_HEADER]: key,
  };
}
