import type { Hono } from 'hono';
import {
  daysPeriod,
  type Period,
  PRESETS,
  type PresetName,
  periodProblem,
  presetPeriod,
  previousPeriod,
} from '../../analytics/period.js';
import {
  analyticsTx,
  breakdown,
  daily,
  heatmap,
  leadSummary,
  nowFigures,
  type Scope,
  slaFigures,
} from '../../analytics/queries.js';
import { analyticsScope, teamZones } from '../../analytics/scope.js';
import { isValidDate } from '../../core/working-hours.js';
import type { WebDeps, WebEnv } from '../context.js';
import { ru } from '../i18n/ru.js';
import { Layout } from '../layout.js';
import { teamTimeZone, type WebUser } from '../services/users.js';
import { type DashboardData, DashboardView } from './dashboard-view.js';
import { HttpPageError } from './errors.js';

/** What the person picked: a preset or whole local days, and maybe one team. */
export interface Selection {
  preset: PresetName | 'custom';
  period: Period;
  /** The custom days as typed (YYYY-MM-DD), for the form. */
  fromDay: string;
  toDay: string;
  team: string | undefined;
  problem?: string;
}

function selection(q: Record<string, string>, now: Date, tz: string): Selection {
  const localDay = (d: Date) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(d);
  const team = q.team ? q.team : undefined;
  if (q.period === 'custom') {
    const from = q.from ?? '';
    const to = q.to ?? '';
    if (isValidDate(from) && isValidDate(to)) {
      const period = daysPeriod(from, to, tz);
      if (!periodProblem(period)) return { preset: 'custom', period, fromDay: from, toDay: to, team };
    }
    const fallback = presetPeriod('7d', now, tz);
    return { preset: '7d', period: fallback, fromDay: from, toDay: to, team, problem: ru.dashboard.badDates };
  }
  const preset = (PRESETS as readonly string[]).includes(q.period ?? '') ? (q.period as PresetName) : '7d';
  const period = presetPeriod(preset, now, tz);
  return {
    preset,
    period,
    fromDay: localDay(period.from),
    toDay: localDay(new Date(Math.max(period.from.getTime(), period.to.getTime() - 1))),
    team,
  };
}

function scopeOf(deps: WebDeps, user: WebUser, team: string | undefined): Scope {
  try {
    return analyticsScope(
      deps.config,
      { kind: 'person', role: user.role, all: user.all, teams: user.teams },
      team,
    );
  } catch {
    // Another team by URL, or one that does not exist: the same refusal as another team's lead.
    throw new HttpPageError(403, ru.dashboard.forbidden);
  }
}

/**
 * The supervisors' dashboard: every figure comes from the same functions as GET /api/v1/analytics/* with the
 * same scope, so the page and the API cannot disagree. Managers are refused (403).
 */
export function registerDashboard(web: Hono<WebEnv>, deps: WebDeps): void {
  const zones = teamZones(deps.config);
  web.get('/dashboard', async (c) => {
    const user = c.get('user');
    if (user.role === 'manager') throw new HttpPageError(403, ru.dashboard.forbidden);
    const tz = teamTimeZone(deps.config, user);
    const sel = selection(c.req.query(), deps.clock(), tz);
    const scope = scopeOf(deps, user, sel.team);
    const q = { period: sel.period, scope };
    // One read-only transaction: the figures are of one moment, and the page costs one connection.
    const figures = await analyticsTx(deps.sql, (tx) =>
      Promise.all([
        leadSummary(tx, q),
        slaFigures(tx, q),
        breakdown(tx, { ...q, by: 'channel' }),
        breakdown(tx, { ...q, by: 'team' }),
        breakdown(tx, { ...q, by: 'manager' }),
        breakdown(tx, { ...q, by: 'region' }),
        breakdown(tx, { ...q, by: 'clientType' }),
        heatmap(tx, { ...q, zones }),
        daily(tx, { ...q, zones }),
        nowFigures(tx, { scope }),
      ]),
    );
    const [summary, sla, channels, teams, managers, regions, clientTypes, heat, days, now] = figures;
    const data: DashboardData = {
      selection: sel,
      previous: previousPeriod(sel.period),
      timeZone: tz,
      at: deps.clock(),
      teams: deps.config.teams.filter((t) => user.all || user.teams.includes(t.id)),
      teamNames: new Map(deps.config.teams.map((t) => [t.id, t.name])),
      managerNames: new Map(deps.config.managers.map((m) => [m.login, m.name])),
      summary,
      sla,
      channels,
      byTeam: teams,
      managers,
      regions,
      clientTypes,
      heat,
      days,
      waiting: now,
    };
    return c.html(
      <Layout
        title={ru.dashboard.title}
        user={user}
        csrf={c.get('csrf')}
        section="dashboard"
        assetVersion={deps.assetVersion}
        scripts={['chart.js', 'dashboard.js']}
      >
        <DashboardView data={data} />
      </Layout>,
    );
  });
}
