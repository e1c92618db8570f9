import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/observability/logger.js';
import { createSlaScanner } from '../src/sla/scanner.js';
import { inboundBody, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';
import { closeEverything, H, M, openSlaContext, type SlaContext, telegramCallsFor } from './support/sla.js';

const D = 24 * H;

// Issue 16 item 11: the SLA clock trusted the sender's occurredAt, and leads past the lookback vanished silently.
describe.each(backends())('the SLA clock on %s', (backend) => {
  let ctx: TestContext;
  let bot: SlaContext['bot'];
  let close: () => Promise<void>;
  let logs: { level: number; msg: string; leads?: number; oldest?: string[] }[];

  beforeAll(async () => {
    ({ ctx, bot, close } = await openSlaContext(backend, { default: { threshold: '2h' } }));
  });
  afterEach(() => closeEverything(ctx));
  afterAll(() => close?.());

  const scanner = () => {
    logs = [];
    return createSlaScanner({
      sql: ctx.db.sql,
      config: ctx.config,
      clock: ctx.clock.clock,
      instanceId: 'clock',
      log: createLogger(
        'info',
        new Writable({
          write(chunk, _enc, done) {
            logs.push(JSON.parse(String(chunk)));
            done();
          },
        }),
      ),
    });
  };
  /** A lead received now (the test clock) whose sender stamped it `occurredAt`. */
  const leadStamped = async (occurredAt: Date) => {
    const res = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ occurredAt: occurredAt.toISOString(), from: { phones: [`8${freshPhone()}`] } }),
    );
    expect(res.body.decision.kind).toBe('new_lead');
    const id: string = res.body.decision.leadId;
    await ctx.db.sql`UPDATE leads SET team = 'retail', responsible = 'petrova' WHERE id = ${id}`;
    return id;
  };

  it('a lead stamped 3 hours in the future (Moscow time sent as UTC) is alerted 2 hours after it was received', async () => {
    const received = new Date('2026-11-21T09:00:00Z');
    ctx.clock.set(received);
    const leadId = await leadStamped(new Date(received.getTime() + 3 * H));
    const [lead] = await ctx.db.sql`SELECT first_contact_at FROM leads WHERE id = ${leadId}`;
    expect(lead!.firstContactAt).toEqual(received);

    const s = scanner();
    ctx.clock.set(new Date(received.getTime() + 2 * H - M));
    await s.runOnce();
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(0);
    ctx.clock.set(new Date(received.getTime() + 2 * H));
    expect((await s.runOnce()).fired).toBe(1);
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(1);
  });

  it('a lead that arrives stamped older than the lookback is still alerted', async () => {
    const received = new Date('2026-11-22T09:00:00Z');
    ctx.clock.set(received);
    const leadId = await leadStamped(new Date(received.getTime() - 20 * D));
    expect((await scanner().runOnce()).fired).toBeGreaterThanOrEqual(1);
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(1);
  });

  it('a new lead nobody handled past the lookback is reported (result, log), not dropped silently', async () => {
    const now = new Date('2026-11-23T09:00:00Z');
    ctx.clock.set(now);
    const leadId = await leadStamped(new Date(now.getTime() - 15 * D));
    // Created 15 days ago: the scanner no longer alerts it.
    await ctx.db.sql`UPDATE leads SET created_at = ${new Date(now.getTime() - 15 * D)} WHERE id = ${leadId}`;
    const pass = await scanner().runOnce();
    expect(pass.beyondLookback).toBe(1);
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(0);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 40,
        leads: 1,
        oldest: [leadId],
        msg: expect.stringContaining('lookback'),
      }),
    );
  });
});
