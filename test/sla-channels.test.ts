import { createHmac } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER } from '../src/sla/channels/webhook.js';
import type { TestContext } from './support/context.js';
import { backends } from './support/pg.js';
import {
  at,
  closeEverything,
  H,
  newLead,
  openSlaContext,
  type SlaContext,
  scannerFor,
  T0,
} from './support/sla.js';
import { startSmtpCapture } from './support/smtp.js';

const WEBHOOK_SECRET = 'webhook-secret-0123456789';

describe.each(backends())('SLA email and webhook delivery on %s', (backend) => {
  let ctx: TestContext;
  let hook: SlaContext['bot'];
  let close: () => Promise<void>;
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    ({
      ctx,
      bot: hook,
      close,
    } = await openSlaContext(backend, (standIn) => ({
      default: { steps: [{ id: 'assignee', after: '2h', to: ['assignee'], channels: ['email', 'webhook'] }] },
      channels: {
        email: { host: '127.0.0.1', port: smtp.port, from: 'Switchboard <sla@mebel-fabrika.ru>' },
        webhook: { url: `${standIn}/hooks/sla`, secret: WEBHOOK_SECRET }, // the stand-in's webhook path
      },
    })));
  });
  afterEach(() => closeEverything(ctx));
  afterAll(async () => {
    await close?.();
    await smtp?.close();
  });

  const hookCallsFor = (leadId: string) =>
    hook.calls.filter((c) => c.path === '/hooks/sla' && c.json?.leadId === leadId);

  it('emails the manager through SMTP with a stable Message-ID; a 4xx is retried', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova', name: 'Иван Петров' });
    const scanner = scannerFor(ctx, 'a');
    smtp.failNext(451);
    ctx.clock.set(at(2 * H));
    await scanner.runOnce();
    const alerts = async () =>
      (await ctx.request('GET', `/api/v1/alerts?leadId=${leadId}`)).body.alerts.find(
        (a: { channel: string }) => a.channel === 'email',
      );
    expect(await alerts()).toMatchObject({ status: 'pending', attempts: 1, recipient: 'petrova' });
    expect((await alerts()).lastError).toMatch(/^email: 451/);

    ctx.clock.set(at(2 * H + 30_000));
    await scanner.runOnce();
    expect(await alerts()).toMatchObject({ status: 'sent', attempts: 2 });
    const mine = smtp.received.filter((m) => m.raw.toString('utf8').includes(leadId));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.to).toEqual(['petrova@mebel-fabrika.ru']);
    const parsed = await simpleParser(mine[0]!.raw);
    expect(parsed.messageId).toBe(`<sla-${(await alerts()).id}@switchboard>`);
    expect(parsed.subject).toBe('Лид не взят в работу 2 ч 00 мин: Иван Петров');
    expect(parsed.text?.trim()).toMatch(/^⏰ Лид не взят в работу 2 ч 00 мин: Иван Петров, \+7 912 /);
    expect(parsed.headers.get('x-switchboard-lead')).toBe(leadId);
  });

  it('a permanent SMTP rejection (5xx) fails at once, visibly', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova' });
    smtp.failNext(550);
    ctx.clock.set(at(2 * H));
    await scannerFor(ctx, 'a').runOnce();
    const email = (await ctx.request('GET', `/api/v1/alerts?leadId=${leadId}&status=failed`)).body.alerts;
    expect(email).toEqual([
      expect.objectContaining({
        channel: 'email',
        attempts: 1,
        lastError: expect.stringMatching(/^email: 550/),
      }),
    ]);
  });

  it('calls the webhook once per step, signed with HMAC-SHA256, the same idempotency key on every retry', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova' });
    const scanner = scannerFor(ctx, 'a');
    hook.script('webhook', { status: 503 }, { status: 429, headers: { 'retry-after': '120' } });
    ctx.clock.set(at(2 * H));
    await scanner.runOnce();
    ctx.clock.set(at(2 * H + 30_000));
    await scanner.runOnce();
    ctx.clock.set(at(2 * H + 30_000 + 119_999)); // the receiver asked for 120 s
    await scanner.runOnce();
    expect(hookCallsFor(leadId)).toHaveLength(2);
    ctx.clock.set(at(2 * H + 30_000 + 120_000));
    await scanner.runOnce();

    const calls = hookCallsFor(leadId);
    expect(calls).toHaveLength(3);
    const alert = (await ctx.request('GET', `/api/v1/alerts?leadId=${leadId}`)).body.alerts.find(
      (a: { channel: string }) => a.channel === 'webhook',
    );
    expect(alert).toMatchObject({ recipient: '*', status: 'sent', attempts: 3 });
    for (const c of calls) {
      expect(c.headers[IDEMPOTENCY_HEADER]).toBe(alert.id);
      const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(c.body).digest('hex')}`;
      expect(c.headers[SIGNATURE_HEADER]).toBe(expected);
      expect(c.json).toMatchObject({
        type: 'sla.alert',
        id: alert.id,
        leadId,
        step: 'assignee',
        repeat: 0,
        team: 'retail',
        responsible: 'petrova',
        firstContactAt: T0.toISOString(),
        dueAt: at(2 * H).toISOString(),
      });
    }
  });
});
