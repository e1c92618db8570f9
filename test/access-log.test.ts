import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../src/http/access-log.js';
import { createLogger } from '../src/observability/logger.js';
import {
  createTestContext,
  decisionBatches,
  inboundBody,
  TEST_TOKEN,
  type TestContext,
} from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

// HTTP logging does not depend on the database: one backend is enough.
describe('the access log and request ids', () => {
  const lines: Record<string, unknown>[] = [];
  let ctx: TestContext;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        done();
      },
    });
    ctx = await createTestContext(backends()[0]!, {}, { log: createLogger('info', sink) });
  });
  afterAll(() => ctx.close());

  /** A request through the app, keeping the response headers. */
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    ctx.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${TEST_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('logs one line per request with the route pattern, status, duration and request id, and no personal data', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const res = await send(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { name: 'Секретов', phones: [phone], emails: [email] }, text: 'тайный текст' }),
    );
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const access = lines.filter((l) => l.msg === 'http request' && l.requestId === requestId);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: 'POST', route: '/api/v1/inbound', status: 200 });
    // Nothing from other lines of the request leaks into it.
    expect(Object.keys(access[0]!).sort()).toEqual(
      ['durationMs', 'level', 'method', 'msg', 'requestId', 'route', 'service', 'status', 'time'].sort(),
    );
    expect(typeof access[0]!.durationMs).toBe('number');
    // The pipeline's own line carries the same id.
    expect(lines.find((l) => l.msg === 'inbound event processed')).toMatchObject({
      requestId,
      decisions: ['new_lead'],
    });

    await ctx.request('GET', `/api/v1/contacts?phone=${encodeURIComponent(phone)}`);
    await ctx.request('GET', `/api/v1/contacts/${encodeURIComponent(email)}`);
    const text = JSON.stringify(lines);
    for (const secret of [phone, phone.slice(-10), email, 'Секретов', 'тайный текст'])
      expect(text).not.toContain(secret);
    expect(lines.filter((l) => l.msg === 'http request').map((l) => l.route)).toEqual([
      '/api/v1/inbound',
      '/api/v1/contacts',
      '/api/v1/contacts/:id',
    ]);
  });

  it("names each event's own request on its pipeline line when several requests are decided in one batch", async () => {
    const before = await decisionBatches(ctx);
    const responses = await Promise.all(
      [freshPhone(), freshPhone(), freshPhone()].map((phone) =>
        send('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } })),
      ),
    );
    const after = await decisionBatches(ctx);
    // The three went together (they were stored by one group commit and submitted in the same turn).
    expect(after.events - before.events).toBe(3);
    expect(after.batches - before.batches).toBe(1);
    for (const res of responses) {
      expect(res.status).toBe(200);
      const { eventId } = (await res.json()) as { eventId: string };
      const line = lines.find((l) => l.msg === 'inbound event processed' && l.eventId === eventId);
      expect(line, `the line of event ${eventId}`).toMatchObject({
        requestId: res.headers.get('x-request-id'),
      });
    }
  });

  it('keeps a plain request id the caller sends, replaces anything else, and logs unmatched routes as such', async () => {
    const mine = await send('GET', '/healthz', undefined, { 'x-request-id': 'proxy-42.a' });
    expect(mine.headers.get('x-request-id')).toBe('proxy-42.a');
    const odd = await send('GET', '/healthz', undefined, { 'x-request-id': 'a b\u00e9' });
    expect(odd.headers.get('x-request-id')).not.toBe('a b\u00e9');
    const missing = await ctx.request('GET', '/nowhere/8-912-345-67-89');
    expect(missing.status).toBe(404);
    const last = lines.filter((l) => l.msg === 'http request').at(-1);
    expect(last).toMatchObject({ method: 'GET', route: null, status: 404 });
    expect(JSON.stringify(lines)).not.toContain('8-912-345-67-89');
  });

  it('puts the request id on responses a handler builds itself and on error answers', async () => {
    const app = new Hono();
    app.use('*', accessLog(createLogger('info', { write: (l: string) => lines.push(JSON.parse(l)) })));
    app.get('/own', () => new Response('file', { headers: { 'content-type': 'text/plain' } }));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.onError((_err, c) => c.json({ error: 'internal' }, 500));
    for (const [path, status] of [
      ['/own', 200],
      ['/boom', 500],
    ] as const) {
      const res = await app.request(path, { headers: { 'x-request-id': `t-${status}` } });
      expect(res.status).toBe(status);
      expect(res.headers.get('x-request-id')).toBe(`t-${status}`);
      expect(lines.filter((l) => l.msg === 'http request').at(-1)).toMatchObject({
        requestId: `t-${status}`,
        status,
      });
    }
  });
});
