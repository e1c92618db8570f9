import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { breakdownCsv, dailyCsv, heatmapCsv, nowCsv, slaCsv, summaryCsv } from '../../analytics/csv.js';
import { type Period, periodProblem, presetPeriod, previousPeriod } from '../../analytics/period.js';
import {
  analyticsTx,
  BREAKDOWNS,
  type Breakdown,
  breakdown,
  daily,
  heatmap,
  leadSummary,
  nowFigures,
  type Scope,
  slaFigures,
} from '../../analytics/queries.js';
import { analyticsScope, teamZones, type Viewer, viewerZone } from '../../analytics/scope.js';
import { ValidationError } from '../../core/errors.js';
import { findSession } from '../../web/services/sessions.js';
import { webUser } from '../../web/services/users.js';
import { SESSION_COOKIE } from '../../web/session.js';
import type { App, AppDeps } from '../app-types.js';
import { errorBody } from '../errors.js';
import { errors, security } from './schemas.js';

const periodQuery = {
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Start of the period (inclusive). Default: the last 7 local days up to now' }),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'End of the period (exclusive). Default: now' }),
  team: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: 'Only this team (a configured team id)' }),
  format: z
    .enum(['json', 'csv'])
    .default('json')
    .openapi({ description: 'csv: the same figures as a CSV download (supervisors, admins and tokens)' }),
};

const analyticsErrors = {
  ...errors,
  403: {
    description: 'A manager (the analytics are for supervisors and administrators), or another team',
    content: { 'application/json': { schema: errors[401].content['application/json'].schema } },
  },
} as const;

const csvOk = (description: string) => ({
  description,
  content: { 'application/json': { schema: z.looseObject({}) }, 'text/csv': { schema: z.string() } },
});

const DEFINITIONS = 'Definitions of every figure: docs/analytics.md.';

function route<E extends z.ZodRawShape = Record<never, never>>(
  path: string,
  operationId: string,
  summary: string,
  extra: E = {} as E,
) {
  return createRoute({
    method: 'get',
    path: `/api/v1/analytics/${path}`,
    operationId,
    summary,
    description: `${DEFINITIONS} A bearer token sees every team; a signed-in supervisor (session cookie) sees the teams they lead; a manager is refused (403).`,
    security,
    request: { query: z.object({ ...periodQuery, ...extra }) },
    responses: { 200: csvOk(summary), ...analyticsErrors },
  });
}

const summaryRoute = route(
  'summary',
  'getAnalyticsSummary',
  'New, repeat and attached leads, time to «в работе», first response and conversion, with the previous period',
);
const slaRoute = route(
  'sla',
  'getAnalyticsSla',
  'SLA breaches and the alerts sent (by ladder step, channel and delivery status), with the previous period',
);
const breakdownRoute = route(
  'breakdown',
  'getAnalyticsBreakdown',
  'The period’s leads by channel, region, client type, team or manager: open, speed, conversion',
  {
    by: z
      .enum(BREAKDOWNS as unknown as [Breakdown, ...Breakdown[]])
      .openapi({ description: 'What to group the leads by' }),
  },
);
const heatmapRoute = route(
  'heatmap',
  'getAnalyticsHeatmap',
  'New requests by weekday × hour in each team’s time zone',
);
const dailyRoute = route('daily', 'getAnalyticsDaily', 'Leads per local day, beside the previous period’s');
const nowRoute = createRoute({
  method: 'get',
  path: '/api/v1/analytics/now',
  operationId: 'getAnalyticsNow',
  summary: 'Open leads right now without an owner or waiting in a team queue for a shift',
  description: `${DEFINITIONS} Not tied to a period.`,
  security,
  request: { query: z.object({ team: periodQuery.team, format: periodQuery.format }) },
  responses: { 200: csvOk('Leads waiting'), ...analyticsErrors },
});

type AnalyticsVars = { actor: string; viewer?: Viewer };

/**
 * The analytics also answer a signed-in person (the dashboard's supervisors, scoped to their teams) by the web
 * session cookie, for GET only; a request with an Authorization header goes to the bearer check as usual.
 * Mounted before bearerAuth, which lets a request this middleware authenticated through.
 */
export function analyticsSession(deps: AppDeps): MiddlewareHandler<{ Variables: AnalyticsVars }> {
  return async (c, next) => {
    if (c.req.method !== 'GET' || c.req.header('authorization') !== undefined) return next();
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await findSession(deps.sql, token, deps.clock()) : undefined;
    const user = session ? webUser(deps.config, session.login) : undefined;
    if (!user) return next();
    if (user.role === 'manager')
      return c.json(errorBody('forbidden', 'the analytics are for supervisors and administrators'), 403);
    c.set('actor', `web:${user.login}`);
    c.set('viewer', { kind: 'person', role: user.role, all: user.all, teams: user.teams });
    return next();
  };
}

const viewerOf = (c: Context): Viewer =>
  (c as unknown as Context<{ Variables: AnalyticsVars }>).get('viewer') ?? { kind: 'token' };

interface Resolved {
  period: Period;
  scope: Scope;
}

function resolve(
  deps: AppDeps,
  c: Context,
  q: { from?: string | undefined; to?: string | undefined; team?: string | undefined },
): Resolved {
  const scope = analyticsScope(deps.config, viewerOf(c), q.team);
  const now = deps.clock();
  let period: Period;
  if (q.from === undefined && q.to === undefined)
    period = presetPeriod('7d', now, viewerZone(deps.config, scope));
  else if (q.from === undefined)
    throw new ValidationError('from: required with to', [{ field: 'from', message: 'required with to' }]);
  else period = { from: new Date(q.from), to: q.to ? new Date(q.to) : now };
  const problem = periodProblem(period);
  if (problem) throw new ValidationError(`period: ${problem}`, [{ field: 'to', message: problem }]);
  return { period, scope };
}

const periods = (p: Period) => ({ period: p, previousPeriod: previousPeriod(p) });

function csv(c: Context, name: string, body: string, period?: Period): Response {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const file = period
    ? `switchboard-${name}-${day(period.from)}-${day(period.to)}.csv`
    : `switchboard-${name}.csv`;
  return c.body(body, 200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${file}"`,
    'cache-control': 'no-store',
  });
}

/** GET /api/v1/analytics/*: the supervisors' figures (src/analytics), JSON or CSV. */
export function registerAnalytics(app: App, deps: AppDeps): void {
  const zones = teamZones(deps.config);

  app.openapi(summaryRoute, async (c) => {
    const q = c.req.valid('query');
    const r = resolve(deps, c, q);
    const s = await analyticsTx(deps.sql, (tx) => leadSummary(tx, r));
    if (q.format === 'csv') return csv(c, 'summary', summaryCsv(s), r.period) as never;
    return c.json({ ...periods(r.period), scope: r.scope, ...s }, 200);
  });

  app.openapi(slaRoute, async (c) => {
    const q = c.req.valid('query');
    const r = resolve(deps, c, q);
    const s = await analyticsTx(deps.sql, (tx) => slaFigures(tx, r));
    if (q.format === 'csv') return csv(c, 'sla', slaCsv(s), r.period) as never;
    return c.json({ ...periods(r.period), scope: r.scope, ...s }, 200);
  });

  app.openapi(breakdownRoute, async (c) => {
    const q = c.req.valid('query');
    const r = resolve(deps, c, q);
    const rows = await analyticsTx(deps.sql, (tx) => breakdown(tx, { ...r, by: q.by }));
    if (q.format === 'csv') return csv(c, `by-${q.by}`, breakdownCsv(q.by, rows), r.period) as never;
    return c.json({ ...periods(r.period), scope: r.scope, by: q.by, rows }, 200);
  });

  app.openapi(heatmapRoute, async (c) => {
    const q = c.req.valid('query');
    const r = resolve(deps, c, q);
    const h = await analyticsTx(deps.sql, (tx) => heatmap(tx, { ...r, zones }));
    if (q.format === 'csv') return csv(c, 'heatmap', heatmapCsv(h), r.period) as never;
    return c.json({ ...periods(r.period), scope: r.scope, ...h }, 200);
  });

  app.openapi(dailyRoute, async (c) => {
    const q = c.req.valid('query');
    const r = resolve(deps, c, q);
    const d = await analyticsTx(deps.sql, (tx) => daily(tx, { ...r, zones }));
    if (q.format === 'csv') return csv(c, 'daily', dailyCsv(d), r.period) as never;
    return c.json({ ...periods(r.period), scope: r.scope, ...d }, 200);
  });

  app.openapi(nowRoute, async (c) => {
    const q = c.req.valid('query');
    const scope = analyticsScope(deps.config, viewerOf(c), q.team);
    const n = await analyticsTx(deps.sql, (tx) => nowFigures(tx, { scope }));
    if (q.format === 'csv') return csv(c, 'now', nowCsv(n)) as never;
    return c.json({ at: deps.clock(), scope, ...n }, 200);
  });
}
