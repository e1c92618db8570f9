import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyticsConfig, PERIOD, seedAnalytics } from './support/analytics.js';
import { createTestContext, sendInbound, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';
import { cookieJar, PASSWORD } from './support/web.js';

// Every expected number below is worked out by hand from the lead list in test/support/analytics.ts.
const q = (path: string, extra = '') =>
  `/api/v1/analytics/${path}?from=${PERIOD.from}&to=${PERIOD.to}${extra}`;

describe.each(backends())('analytics (%s)', (backend) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext(backend, await analyticsConfig());
    ctx.clock.set(new Date('2026-11-30T06:00:00Z'));
    await seedAnalytics(ctx.db.sql);
  });
  afterAll(() => ctx?.close());

  async function signIn(login: string) {
    const jar = cookieJar();
    const res = await ctx.app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ login, password: PASSWORD, next: '/' }).toString(),
    });
    jar.store(res);
    expect(res.status).toBe(303);
    return (path: string) => ctx.app.request(path, { headers: { cookie: jar.header() } });
  }

  it('summary: new, repeat and attached leads, time to «в работе», first response, conversion, and the week before', async () => {
    const { status, body } = await ctx.request('GET', q('summary'));
    expect(status).toBe(200);
    expect(body.period).toEqual(PERIOD);
    expect(body.previousPeriod).toEqual({ from: '2026-11-15T21:00:00.000Z', to: PERIOD.from });
    expect(body.current).toEqual({
      leads: 6,
      newLeads: 4,
      repeatLeads: 2,
      attachedToLead: 2, // Павел +60 min, Рита +5 min
      attachedToDeal: 1, // Клиент Сделкин
      open: 3, // Павел in progress, Полина and Раиса new
      taken: 4,
      takenMedianSeconds: 1500, // 10, 20, 30, 60 min -> (20 + 30) / 2 = 25 min
      takenP90Seconds: 3060, // 30 min + 0.7 × 30 min = 51 min
      responded: 4,
      firstResponseMedianSeconds: 750, // 2, 5, 20, 90 min -> 12.5 min
      firstResponseP90Seconds: 4140, // 20 min + 0.7 × 70 min = 69 min
      converted: 2,
      junk: 1,
      conversionRate: 2 / 6,
    });
    expect(body.previous).toEqual({
      leads: 2,
      newLeads: 2,
      repeatLeads: 0,
      attachedToLead: 1,
      attachedToDeal: 0,
      open: 1,
      taken: 2,
      takenMedianSeconds: 4800, // 40 and 120 min -> 80 min
      takenP90Seconds: 6720, // 40 min + 0.9 × 80 min = 112 min
      responded: 0,
      firstResponseMedianSeconds: null,
      firstResponseP90Seconds: null,
      converted: 1,
      junk: 0,
      conversionRate: 0.5,
    });
  });

  it('SLA: breached leads, steps fired and alerts by step, channel and delivery status', async () => {
    const { status, body } = await ctx.request('GET', q('sla'));
    expect(status).toBe(200);
    expect(body.current).toEqual({
      breachedLeads: 2,
      steps: [
        { step: 'first', fired: 2 },
        { step: 'second', fired: 1 },
      ],
      alerts: [
        { step: 'first', channel: 'email', status: 'failed', count: 1 },
        { step: 'first', channel: 'inapp', status: 'sent', count: 1 },
        { step: 'first', channel: 'telegram', status: 'sent', count: 1 },
        { step: 'second', channel: 'telegram', status: 'pending', count: 1 },
      ],
    });
    expect(body.previous).toEqual({
      breachedLeads: 1,
      steps: [{ step: 'first', fired: 1 }],
      alerts: [{ step: 'first', channel: 'inapp', status: 'sent', count: 1 }],
    });
  });

  it('breakdowns by channel, region, client type, team and manager', async () => {
    const channel = (await ctx.request('GET', q('breakdown', '&by=channel'))).body.rows;
    expect(
      channel.map((r: { key: string; leads: number; previousLeads: number }) => [
        r.key,
        r.leads,
        r.previousLeads,
      ]),
    ).toEqual([
      ['api', 3, 1],
      ['email', 2, 1],
      ['whatsapp', 1, 0],
    ]);
    expect(channel[0]).toMatchObject({
      open: 1,
      converted: 1,
      conversionRate: 1 / 3,
      takenMedianSeconds: 1800,
    });
    expect(channel[0].firstResponseMedianSeconds).toBe(1200); // 2, 20, 90 min -> 20 min
    expect(channel[1]).toMatchObject({ converted: 1, conversionRate: 0.5, previousConversionRate: 1 });

    const region = (await ctx.request('GET', q('breakdown', '&by=region'))).body.rows;
    expect(region.map((r: { key: string; leads: number }) => [r.key, r.leads])).toEqual([
      ['RU-MOW', 2],
      ['RU-SVE', 2],
      ['RU-SPE', 1],
      [null, 1],
    ]);

    const types = (await ctx.request('GET', q('breakdown', '&by=clientType'))).body.rows;
    expect(
      types.map((r: { key: string; leads: number; converted: number }) => [r.key, r.leads, r.converted]),
    ).toEqual([
      ['partner', 3, 1],
      ['retail', 3, 1],
    ]);

    const teams = (await ctx.request('GET', q('breakdown', '&by=team'))).body.rows;
    expect(
      teams.map((r: { key: string; leads: number; openNow: number }) => [r.key, r.leads, r.openNow]),
    ).toEqual([
      ['partners', 3, 2],
      ['retail', 3, 3], // Раиса, Кира (previous period) and Ольга (October)
    ]);

    const managers = (await ctx.request('GET', q('breakdown', '&by=manager'))).body.rows;
    expect(
      managers.map((r: { key: string; leads: number; open: number; openNow: number; converted: number }) => [
        r.key,
        r.leads,
        r.open,
        r.openNow,
        r.converted,
      ]),
    ).toEqual([
      ['ivanov', 2, 1, 1, 1],
      ['petrova', 2, 0, 2, 1],
      [null, 2, 2, 2, 0],
    ]);
    expect(managers[0].takenMedianSeconds).toBe(1200); // 10 and 30 min
  });

  it('heat map: weekday × hour in each team’s own time zone', async () => {
    const { body } = await ctx.request('GET', q('heatmap'));
    expect(body.total).toBe(6);
    expect(body.max).toBe(2);
    const nonEmpty: [number, number, number][] = [];
    body.cells.forEach((row: number[], d: number) => {
      row.forEach((n, h) => {
        if (n > 0) nonEmpty.push([d + 1, h, n]);
      });
    });
    // Tue 10:00 Moscow (×2), Wed 15:00 Moscow, Thu 10:00 Yekaterinburg (×2), Sat 21:00 Yekaterinburg
    expect(nonEmpty).toEqual([
      [2, 10, 2],
      [3, 15, 1],
      [4, 10, 2],
      [6, 21, 1],
    ]);
  });

  it('daily series: leads per local day beside the previous week, day by day', async () => {
    const { body } = await ctx.request('GET', q('daily'));
    expect(body.current.map((d: { date: string; leads: number }) => [d.date, d.leads])).toEqual([
      ['2026-11-23', 0],
      ['2026-11-24', 2],
      ['2026-11-25', 1],
      ['2026-11-26', 2],
      ['2026-11-27', 0],
      ['2026-11-28', 1],
      ['2026-11-29', 0],
    ]);
    expect(body.previous.map((d: { date: string; leads: number }) => [d.date, d.leads])).toEqual([
      ['2026-11-16', 0],
      ['2026-11-17', 0],
      ['2026-11-18', 1],
      ['2026-11-19', 1],
      ['2026-11-20', 0],
      ['2026-11-21', 0],
      ['2026-11-22', 0],
    ]);
  });

  it('now: open leads nobody owns, and those waiting in a queue for a shift', async () => {
    const { body } = await ctx.request('GET', '/api/v1/analytics/now');
    expect(body).toMatchObject({ unowned: 2, waitingForShift: 1 });
    expect(body.teams).toEqual([
      { team: 'partners', unowned: 1, waitingForShift: 1, oldestAt: '2026-11-25T12:00:00.000Z' },
      { team: 'retail', unowned: 1, waitingForShift: 0, oldestAt: '2026-11-28T16:00:00.000Z' },
    ]);
    expect(body.oldest.map((l: { contactName: string }) => l.contactName)).toEqual([
      'Полина Третья',
      'Раиса Третья',
    ]);
  });

  it('a supervisor sees their own team’s figures by session, never another team’s', async () => {
    const get = await signIn('rozn');
    const res = await get(q('summary'));
    expect(res.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the JSON field by field
    const body: any = await res.json();
    expect(body.scope).toEqual({ teams: ['retail'] });
    expect(body.current).toMatchObject({
      leads: 3,
      newLeads: 2,
      repeatLeads: 1,
      attachedToLead: 1, // Рита; the deal's message belongs to no team
      attachedToDeal: 0,
      open: 1,
      takenMedianSeconds: 2400, // 20 and 60 min
      firstResponseMedianSeconds: 2760, // 2 and 90 min
      converted: 1,
      junk: 1,
    });
    expect(body.previous).toMatchObject({ leads: 1, takenMedianSeconds: 7200 });
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const teams: any = await (await get(q('breakdown', '&by=team'))).json();
    expect(teams.rows.map((r: { key: string }) => r.key)).toEqual(['retail']);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const now: any = await (await get('/api/v1/analytics/now')).json();
    expect(now).toMatchObject({ unowned: 1, waitingForShift: 0 });
    const sla = await get(q('sla'));
    expect(sla.status).toBe(200);
    expect(((await sla.json()) as { current: { breachedLeads: number } }).current.breachedLeads).toBe(1);
    // Another team by name: refused.
    const other = await get(q('summary', '&team=partners'));
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('CSV export for a supervisor, an admin and a token; a manager is refused the analytics and their CSV', async () => {
    const rozn = await signIn('rozn');
    const csv = await rozn(q('breakdown', '&by=manager&format=csv'));
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toContain('attachment; filename="switchboard-by-manager-');
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // the BOM spreadsheet programs need for UTF-8
    const text = new TextDecoder().decode(bytes);
    expect(text.split('\r\n')[0]).toBe(
      'manager,leads,previous_leads,open,open_now,taken_median_seconds,first_response_median_seconds,converted,conversion_rate,previous_conversion_rate',
    );
    expect(text).toContain('\r\npetrova,2,1,0,2,2400,2760,1,0.5,0\r\n');
    expect(text).not.toContain('ivanov');

    const admin = await signIn('admin');
    const summary = await (await admin(q('summary', '&format=csv'))).text();
    expect(summary).toContain('\r\nleads,6,2\r\n');
    const token = await ctx.app.request(q('heatmap', '&format=csv'), {
      headers: { authorization: `Bearer ${ctx.config.api.tokens[0]!.token}` },
    });
    expect(token.status).toBe(200);
    expect((await token.text()).split('\r\n')[2]).toBe('tue,0,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,0,0,0,0');

    const manager = await signIn('petrova');
    for (const path of [q('summary', '&format=csv'), q('summary'), '/api/v1/analytics/now?format=csv']) {
      const res = await manager(path);
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
  });

  it('the pipeline keeps a lead’s first response: the earliest outbound message on it', async () => {
    const phone = freshPhone();
    const at = (iso: string) => ({ occurredAt: iso });
    ctx.clock.set(new Date('2026-11-30T07:00:00Z'));
    const lead = await sendInbound(ctx, { from: { phones: [phone] }, ...at('2026-11-30T06:30:00Z') });
    const reply = (iso: string) =>
      sendInbound(ctx, { direction: 'out', from: undefined, to: { phones: [phone] }, ...at(iso) });
    const firstResponse = async () =>
      (
        await ctx.db.sql<
          { at: Date | null }[]
        >`SELECT first_response_at AS at FROM leads WHERE id = ${lead.leadId}`
      )[0]!.at;
    expect(await firstResponse()).toBeNull();
    expect((await reply('2026-11-30T06:50:00Z')).kind).toBe('outbound');
    expect(await firstResponse()).toEqual(new Date('2026-11-30T06:50:00Z'));
    await reply('2026-11-30T06:55:00Z'); // later: unchanged
    await reply('2026-11-30T06:40:00Z'); // recorded late but sent earlier: it was the first
    expect(await firstResponse()).toEqual(new Date('2026-11-30T06:40:00Z'));
    ctx.clock.set(new Date('2026-11-30T06:00:00Z'));
  });

  it('refuses bad input with a clear error, and anonymous callers with 401', async () => {
    expect((await ctx.request('GET', q('summary'), undefined, { token: null })).status).toBe(401);
    const backwards = await ctx.request(
      'GET',
      `/api/v1/analytics/summary?from=${PERIOD.to}&to=${PERIOD.from}`,
    );
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.message).toContain('`to` must be after `from`');
    const unknownTeam = await ctx.request('GET', q('summary', '&team=nobody'));
    expect(unknownTeam.status).toBe(422);
    expect((await ctx.request('GET', q('breakdown', '&by=colour'))).status).toBe(400);
    expect((await ctx.request('GET', q('breakdown'))).status).toBe(400);
    expect((await ctx.request('GET', '/api/v1/analytics/summary?from=yesterday')).status).toBe(400);
    const tooLong = await ctx.request(
      'GET',
      '/api/v1/analytics/summary?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    expect(tooLong.status).toBe(400);
    // Without a period: the last 7 local days up to now.
    const dflt = await ctx.request('GET', '/api/v1/analytics/summary');
    expect(dflt.status).toBe(200);
    expect(dflt.body.period).toEqual({ from: '2026-11-23T21:00:00.000Z', to: '2026-11-30T06:00:00.000Z' });
  });
});
