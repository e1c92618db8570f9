import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { telegramResponseSchema } from '../src/sla/channels/telegram.js';
import { claimDue } from '../src/sla/store.js';
import type { TestContext } from './support/context.js';
import { backends } from './support/pg.js';
import {
  at,
  BOT_TOKEN,
  closeEverything,
  H,
  M,
  newLead,
  openSlaContext,
  type SlaContext,
  scannerFor,
  T0,
  telegramCallsFor,
  telegramFixture,
} from './support/sla.js';

describe.each(backends())('SLA alerts on %s', (backend) => {
  let ctx: TestContext;
  let bot: SlaContext['bot'];
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ ctx, bot, close } = await openSlaContext(backend, {
      default: { threshold: '2h' },
      teams: {
        partners: {
          steps: [
            { id: 'remind', after: '1h30m', to: ['assignee'] },
            { id: 'supervisor', after: '2h', to: ['supervisor'] },
            { id: 'head', after: '4h', to: ['manager:director'], repeatEvery: '2h', maxRepeats: 1 },
          ],
        },
      },
    }));
  });
  afterEach(() => closeEverything(ctx));
  afterAll(() => close?.());

  const alertsOf = async (leadId: string) =>
    (await ctx.request('GET', `/api/v1/alerts?leadId=${leadId}`)).body.alerts as {
      stepId: string;
      repeatNo: number;
      recipient: string;
      channel: string;
      status: string;
      attempts: number;
      lastError: string | null;
    }[];

  it('parses every Telegram fixture with the schema the sender uses', () => {
    for (const name of ['sendMessage-ok', 'sendMessage-429', 'sendMessage-500', 'sendMessage-403'])
      expect(telegramResponseSchema.safeParse(telegramFixture(name)).success, name).toBe(true);
  });

  it('alerts the supervisor exactly at 2 h, in Russian, on Telegram and in the inbox, once', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova', name: 'Иван Петров' });
    const scanner = scannerFor(ctx, 'a');

    ctx.clock.set(at(2 * H - 1));
    expect((await scanner.runOnce()).fired).toBe(0);
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(0);

    ctx.clock.set(at(2 * H));
    const pass = await scanner.runOnce();
    expect(pass.fired).toBe(1);
    const calls = telegramCallsFor(bot.calls, leadId);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe(`/bot${BOT_TOKEN}/sendMessage`);
    expect(calls[0]!.json.chat_id).toBe(1000);
    expect(calls[0]!.json.text).toMatch(
      /^⏰ Лид не взят в работу 2 ч 00 мин: Иван Петров, \+7 912 \*\*\*-\*\*-\d\d, канал: Сайт, отдел: Розница, ответственный: Мария Петрова\. Открыть: http:\/\/127\.0\.0\.1:8080\/leads\//,
    );

    expect(await alertsOf(leadId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          stepId: 'supervisor',
          recipient: 'head',
          channel: 'telegram',
          status: 'sent',
          attempts: 1,
        }),
        expect.objectContaining({
          stepId: 'supervisor',
          recipient: 'head',
          channel: 'inapp',
          status: 'sent',
        }),
      ]),
    );
    const inbox = await ctx.request('GET', '/api/v1/notifications?recipient=head&unread=true');
    const mine = inbox.body.notifications.filter((n: { leadId: string }) => n.leadId === leadId);
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toBe(calls[0]!.json.text);

    // Later passes never repeat a step that fired.
    for (const t of [2 * H + M, 3 * H, 30 * H]) {
      ctx.clock.set(at(t));
      await scanner.runOnce();
    }
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(1);
    expect(await alertsOf(leadId)).toHaveLength(2);

    const read = await ctx.request('POST', `/api/v1/notifications/${mine[0].id}/read`);
    expect(read.status).toBe(200);
    const after = await ctx.request('GET', '/api/v1/notifications?recipient=head&unread=true');
    expect(after.body.notifications.some((n: { id: string }) => n.id === mine[0].id)).toBe(false);
  });

  it('a lead taken into work at 1:59 is never alerted', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova' });
    const scanner = scannerFor(ctx, 'a');
    ctx.clock.set(at(2 * H - M));
    await scanner.runOnce();
    const taken = await ctx.request('PATCH', `/api/v1/leads/${leadId}`, { status: 'in_progress' });
    expect(taken.status).toBe(200);
    for (const t of [2 * H, 2 * H + M, 10 * H]) {
      ctx.clock.set(at(t));
      await scanner.runOnce();
    }
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(0);
    expect(await alertsOf(leadId)).toEqual([]);
  });

  it('a lead handled at 2:01 keeps its single alert; repeats and later steps stop', async () => {
    const leadId = await newLead(ctx, { at: T0, team: 'partners', responsible: 'ivanov' });
    const scanner = scannerFor(ctx, 'a');
    ctx.clock.set(at(2 * H));
    await scanner.runOnce();
    // remind (assignee, due 1:30) and supervisor (2:00) both went out in the same pass.
    expect(
      telegramCallsFor(bot.calls, leadId)
        .map((c) => c.json.chat_id)
        .sort(),
    ).toEqual([1000, 1001]);

    ctx.clock.set(at(2 * H + M));
    expect((await ctx.request('PATCH', `/api/v1/leads/${leadId}`, { status: 'junk' })).status).toBe(200);
    for (const t of [2 * H + M, 4 * H, 6 * H, 20 * H]) {
      ctx.clock.set(at(t));
      await scanner.runOnce();
    }
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(2);
    const alerts = await alertsOf(leadId);
    expect(alerts.filter((a) => a.channel === 'telegram').map((a) => [a.stepId, a.status])).toEqual(
      expect.arrayContaining([
        ['remind', 'sent'],
        ['supervisor', 'sent'],
      ]),
    );
    expect(alerts.some((a) => a.stepId === 'head')).toBe(false);
  });

  it('the ladder: manager at 1:30, supervisor at 2:00, head of sales at 4:00 and one repeat at 6:00', async () => {
    const leadId = await newLead(ctx, { at: T0, team: 'partners', responsible: 'ivanov' });
    const scanner = scannerFor(ctx, 'a');
    const chats = () => telegramCallsFor(bot.calls, leadId).map((c) => c.json.chat_id);
    const steps: [number, number[]][] = [
      [90 * M - 1, []],
      [90 * M, [1001]],
      [2 * H, [1001, 1000]],
      [4 * H, [1001, 1000, 999]],
      [6 * H - 1, [1001, 1000, 999]],
      [6 * H, [1001, 1000, 999, 999]],
      // maxRepeats 1: nothing after the first repeat
      [12 * H, [1001, 1000, 999, 999]],
    ];
    for (const [t, expected] of steps) {
      ctx.clock.set(at(t));
      await scanner.runOnce();
      expect(chats(), `at +${t / M} min`).toEqual(expected);
    }
    const head = (await alertsOf(leadId)).filter((a) => a.stepId === 'head' && a.channel === 'telegram');
    expect(head.map((a) => a.repeatNo).sort()).toEqual([0, 1]);
  });

  it('a role nobody fills is recorded as a failed alert with the reason, not dropped', async () => {
    const leadId = await newLead(ctx, { at: T0, team: 'partners', responsible: null });
    const scanner = scannerFor(ctx, 'a');
    ctx.clock.set(at(2 * H));
    await scanner.runOnce();
    const failed = (
      await ctx.request('GET', '/api/v1/alerts?status=failed&team=partners')
    ).body.alerts.filter((a: { leadId: string }) => a.leadId === leadId);
    expect(failed).toEqual([
      expect.objectContaining({
        stepId: 'remind',
        recipient: 'assignee',
        channel: 'none',
        lastError: 'the lead has no responsible manager',
      }),
    ]);
    // The supervisor still hears about it.
    expect(telegramCallsFor(bot.calls, leadId).map((c) => c.json.chat_id)).toEqual([1000]);
  });

  it('a daemon that dies between claim and send: the row is re-claimed after the lease and sent once', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova' });
    const survivor = scannerFor(ctx, 'survivor');
    // The first daemon fires the step and claims its deliveries, then dies before sending.
    ctx.clock.set(at(2 * H));
    await scannerFor(ctx, 'crashed').fireDue(at(2 * H));
    const claimed = await claimDue(ctx.db.sql, {
      instance: 'crashed',
      now: at(2 * H),
      leaseMs: 5 * M,
      limit: 100,
    });
    expect(
      claimed
        .filter((r) => r.leadId === leadId)
        .map((r) => r.channel)
        .sort(),
    ).toEqual(['inapp', 'telegram']);

    // Restarted (or another instance) within the lease: the rows are still the dead daemon's.
    ctx.clock.set(at(2 * H + 4 * M));
    await survivor.runOnce();
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(0);

    // After the lease: re-claimed and sent exactly once.
    ctx.clock.set(at(2 * H + 5 * M));
    await survivor.runOnce();
    await survivor.runOnce();
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(1);
    const alerts = await alertsOf(leadId);
    expect(alerts.map((a) => [a.channel, a.status, a.attempts]).sort()).toEqual([
      ['inapp', 'sent', 2],
      ['telegram', 'sent', 2],
    ]);
    const inbox = await ctx.db.sql`SELECT count(*)::int AS n FROM notifications WHERE lead_id = ${leadId}`;
    expect(inbox[0]!.n).toBe(1);
  });

  it('a lead handled after its alert was claimed but before it was sent: cancelled, never sent', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova' });
    const scanner = scannerFor(ctx, 'b');
    ctx.clock.set(at(2 * H));
    await scanner.fireDue(at(2 * H));
    await claimDue(ctx.db.sql, { instance: 'dead', now: at(2 * H), leaseMs: 5 * M, limit: 100 });
    ctx.clock.set(at(2 * H + M));
    await ctx.request('PATCH', `/api/v1/leads/${leadId}`, { status: 'in_progress' });
    ctx.clock.set(at(2 * H + 10 * M));
    const pass = await scanner.runOnce();
    expect(pass.outcomes.cancelled).toBeGreaterThanOrEqual(2);
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(0);
    expect((await alertsOf(leadId)).map((a) => a.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('Telegram answering 429 then 500: retried after retry_after, then with backoff, then sent once', async () => {
    const leadId = await newLead(ctx, { at: T0, responsible: 'petrova' });
    const scanner = scannerFor(ctx, 'a');
    bot.script(
      'telegram',
      { status: 429, body: telegramFixture('sendMessage-429') },
      { status: 500, body: telegramFixture('sendMessage-500') },
    );
    const telegramRow = async () => (await alertsOf(leadId)).find((a) => a.channel === 'telegram')!;

    ctx.clock.set(at(2 * H));
    await scanner.runOnce();
    expect(await telegramRow()).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'telegram: 429 Too Many Requests: retry after 7',
    });

    ctx.clock.set(at(2 * H + 6_999)); // retry_after is 7 s
    await scanner.runOnce();
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(1);

    ctx.clock.set(at(2 * H + 7_000));
    await scanner.runOnce();
    expect(await telegramRow()).toMatchObject({
      status: 'pending',
      attempts: 2,
      lastError: 'telegram: 500 Internal Server Error',
    });

    // Backoff after the second attempt: retryBase (30 s) * 2.
    ctx.clock.set(at(2 * H + 7_000 + 59_999));
    await scanner.runOnce();
    expect(telegramCallsFor(bot.calls, leadId)).toHaveLength(2);
    ctx.clock.set(at(2 * H + 7_000 + 60_000));
    await scanner.runOnce();
    const calls = telegramCallsFor(bot.calls, leadId);
    expect(calls).toHaveLength(3);
    // The same message each time (its age is rendered at sending: 2 ч 00 мин, then 2 ч 01 мин).
    expect(calls.map((c) => c.json.chat_id)).toEqual([1000, 1000, 1000]);
    expect(calls.map((c) => c.json.text.slice(0, 33))).toEqual([
      '⏰ Лид не взят в работу 2 ч 00 мин',
      '⏰ Лид не взят в работу 2 ч 00 мин',
      '⏰ Лид не взят в работу 2 ч 01 мин',
    ]);
    expect(await telegramRow()).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
  });

  it('gives up after maxAttempts and shows the failure; a blocked bot fails at once', async () => {
    const flaky = await newLead(ctx, { at: T0, responsible: 'petrova' });
    const scanner = scannerFor(ctx, 'a');
    const down = { status: 500, body: telegramFixture('sendMessage-500') };
    bot.script('telegram', down, down, down);
    for (const t of [2 * H, 2 * H + 30_000, 2 * H + 90_000, 2 * H + 10 * H]) {
      ctx.clock.set(at(t));
      await scanner.runOnce();
    }
    expect(telegramCallsFor(bot.calls, flaky)).toHaveLength(3);
    const failed = (await ctx.request('GET', '/api/v1/alerts?status=failed')).body.alerts.find(
      (a: { leadId: string }) => a.leadId === flaky,
    );
    expect(failed).toMatchObject({
      channel: 'telegram',
      recipient: 'head',
      attempts: 3,
      lastError: 'telegram: 500 Internal Server Error',
    });

    const blocked = await newLead(ctx, { at: at(20 * H), responsible: 'petrova' });
    bot.script('telegram', { status: 403, body: telegramFixture('sendMessage-403') });
    ctx.clock.set(at(22 * H));
    await scanner.runOnce();
    ctx.clock.set(at(30 * H));
    await scanner.runOnce();
    expect(telegramCallsFor(bot.calls, blocked)).toHaveLength(1);
    expect((await alertsOf(blocked)).find((a) => a.channel === 'telegram')).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'telegram: 403 Forbidden: bot was blocked by the user',
    });
  });

  it('summary: open new leads by age, overdue, breaches today, by team and manager', async () => {
    const now = new Date('2026-11-21T12:00:00Z'); // 15:00 in Moscow
    ctx.clock.set(now);
    const ago = (ms: number) => new Date(now.getTime() - ms);
    await newLead(ctx, { at: ago(10 * M), responsible: 'petrova' });
    await newLead(ctx, { at: ago(90 * M), responsible: 'petrova' });
    await newLead(ctx, { at: ago(3 * H), team: 'partners', responsible: 'ivanov' });
    await newLead(ctx, { at: ago(30 * H), team: 'partners', responsible: null });
    // Taken late today (breached at 09:00 UTC, taken at 10:00): a breach today, no longer open.
    const late = await newLead(ctx, { at: ago(5 * H), responsible: 'petrova' });
    ctx.clock.set(ago(2 * H));
    await ctx.request('PATCH', `/api/v1/leads/${late}`, { status: 'in_progress' });
    // Taken in time: no breach.
    const quick = await newLead(ctx, { at: ago(4 * H), responsible: 'petrova' });
    ctx.clock.set(ago(3 * H));
    await ctx.request('PATCH', `/api/v1/leads/${quick}`, { status: 'in_progress' });
    ctx.clock.set(now);

    const res = await ctx.request('GET', '/api/v1/sla/summary');
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.todayStart).toBe('2026-11-20T21:00:00.000Z');
    expect(s).toMatchObject({
      openNew: 4,
      overdue: 2,
      breachesToday: 2, // the 3 h old one (breached 11:00 UTC) and the late one; the 30 h one breached yesterday
      byAge: { under30m: 1, '30m_1h': 0, '1h_2h': 1, '2h_4h': 1, '4h_24h': 0, over24h: 1 },
    });
    expect(s.teams).toEqual([
      expect.objectContaining({ team: 'partners', openNew: 2, overdue: 2, breachesToday: 1 }),
      expect.objectContaining({ team: 'retail', openNew: 2, overdue: 0, breachesToday: 1 }),
    ]);
    expect(s.managers).toEqual([
      expect.objectContaining({ responsible: null, openNew: 1, overdue: 1, breachesToday: 0 }),
      expect.objectContaining({ responsible: 'ivanov', openNew: 1, overdue: 1, breachesToday: 1 }),
      expect.objectContaining({ responsible: 'petrova', openNew: 2, overdue: 0, breachesToday: 1 }),
    ]);
  });

  it('validates filters and cursors', async () => {
    expect((await ctx.request('GET', '/api/v1/alerts?status=lost')).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/alerts?cursor=zzz')).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/notifications')).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/alerts', undefined, { token: null })).status).toBe(401);
    expect(
      (await ctx.request('POST', '/api/v1/notifications/4b0d7c1e-2f0a-4a7e-9a51-3f1d2c3b4a59/read')).status,
    ).toBe(404);
  });
});
