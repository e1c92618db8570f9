import type { Sql } from 'postgres';
import type { Queryable } from '../db/queryable.js';
import { type Period, previousPeriod } from './period.js';

/**
 * The supervisors' figures, each computed by one SQL statement over the current period and the previous one of
 * equal length (rows tagged `cur`). Definitions are in docs/analytics.md; the indexes that keep them fast at a
 * million leads are in migration 013.
 */

/** Which leads a viewer may count: `null` every lead (also those without a team), else these teams' leads. */
export interface Scope {
  teams: string[] | null;
}

/** Each team's time zone (heat map hours, days of the daily series); leads without a team use `fallback`. */
export interface TeamZones {
  teams: string[];
  zones: string[];
  fallback: string;
}

export interface AnalyticsInput {
  period: Period;
  scope: Scope;
}

/** Seconds, or null when there is nothing to measure. */
type Seconds = number | null;

export interface LeadFigures {
  leads: number;
  newLeads: number;
  repeatLeads: number;
  /** Inbound messages and calls that joined a lead already open (after its first contact). */
  attachedToLead: number;
  /** Inbound messages and calls that joined an active deal (counted only without a team scope: deals have no team). */
  attachedToDeal: number;
  /** Of the period's leads, still new or in progress now. */
  open: number;
  taken: number;
  takenMedianSeconds: Seconds;
  takenP90Seconds: Seconds;
  /** Leads with an outbound message or call after the first contact. */
  responded: number;
  firstResponseMedianSeconds: Seconds;
  firstResponseP90Seconds: Seconds;
  converted: number;
  junk: number;
  /** converted / leads; null without leads. */
  conversionRate: number | null;
}

const scoped = (sql: Queryable, scope: Scope, column: 'l.team' | 's.team' | 'n.team') =>
  scope.teams === null ? sql`TRUE` : sql`${sql.unsafe(column)} = ANY(${scope.teams}::text[])`;

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
const secs = (v: number | null) => (v === null ? null : Math.round(v));

// Non-negative seconds from the first contact (a lead stamped later than its reply counts as zero).
const TAKE_S =
  'CASE WHEN l.taken_at IS NOT NULL THEN greatest(extract(epoch FROM l.taken_at - l.first_contact_at), 0)::float8 END';
// The first outbound message or call on the lead at or after its first contact (leads.first_response_at, kept
// by the lead rules: a column of the covering index, where a per-lead probe of messages cost seconds at 1M).
const RESPONSE_S = 'extract(epoch FROM l.first_response_at - l.first_contact_at)::float8';

/**
 * Runs the analytics statements in one read-only transaction without JIT (compiling a plan costs more than
 * these index range scans) and with room to sort a period's leads in memory.
 */
export async function analyticsTx<T>(sql: Sql, run: (tx: Queryable) => Promise<T>): Promise<T> {
  return sql.begin('read only', async (tx) => {
    await tx`SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)`;
    return run(tx);
  }) as Promise<T>;
}

interface PeriodRow {
  leads: number;
  newLeads: number;
  repeatLeads: number;
  open: number;
  converted: number;
  junk: number;
  taken: number;
  takenPct: number[] | null;
  responded: number;
  responsePct: number[] | null;
}

// Per period: counts and [median, p90] of the two spans; FILTER keeps it one pass with no GROUP BY sort.
const periodAggregates = (p: 'cur' | 'prev') => `
  count(*) FILTER (WHERE ${p})::int AS ${p}_leads,
  count(*) FILTER (WHERE ${p} AND kind = 'new')::int AS ${p}_new_leads,
  count(*) FILTER (WHERE ${p} AND kind = 'repeat')::int AS ${p}_repeat_leads,
  count(*) FILTER (WHERE ${p} AND status IN ('new', 'in_progress'))::int AS ${p}_open,
  count(*) FILTER (WHERE ${p} AND status = 'converted')::int AS ${p}_converted,
  count(*) FILTER (WHERE ${p} AND status = 'junk')::int AS ${p}_junk,
  count(take_s) FILTER (WHERE ${p})::int AS ${p}_taken,
  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY take_s) FILTER (WHERE ${p}) AS ${p}_taken_pct,
  count(response_s) FILTER (WHERE ${p})::int AS ${p}_responded,
  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY response_s) FILTER (WHERE ${p}) AS ${p}_response_pct`;

/** New, repeat and attached leads, time to «в работе», first response and conversion, now and before. */
export async function leadSummary(
  sql: Queryable,
  q: AnalyticsInput,
): Promise<{ current: LeadFigures; previous: LeadFigures }> {
  const prev = previousPeriod(q.period);
  const [[row], attached] = await Promise.all([
    sql<Record<string, number | number[] | null>[]>`
      WITH l AS (
        SELECT l.kind, l.status, l.first_contact_at >= ${q.period.from} AS cur,
               l.first_contact_at < ${q.period.from} AS prev,
               ${sql.unsafe(TAKE_S)} AS take_s, ${sql.unsafe(RESPONSE_S)} AS response_s
        FROM leads l
        WHERE l.first_contact_at >= ${prev.from} AND l.first_contact_at < ${q.period.to}
          AND ${scoped(sql, q.scope, 'l.team')}
      )
      SELECT ${sql.unsafe(periodAggregates('cur'))}, ${sql.unsafe(periodAggregates('prev'))} FROM l`,
    // Inbound communications on a lead, and on a deal without a lead. Each lead was opened by exactly one of
    // them, stamped with the lead's first contact, so the ones that joined an open lead are these minus the
    // period's leads: no join to leads for all teams (a team scope needs the lead's team).
    q.scope.teams === null
      ? sql<{ cur: boolean; withLead: number; toDeal: number }[]>`
          SELECT m.occurred_at >= ${q.period.from} AS cur,
                 count(*) FILTER (WHERE m.lead_id IS NOT NULL)::int AS with_lead,
                 count(*) FILTER (WHERE m.lead_id IS NULL AND m.deal_id IS NOT NULL)::int AS to_deal
          FROM messages m
          WHERE m.direction = 'in' AND m.occurred_at >= ${prev.from} AND m.occurred_at < ${q.period.to}
          GROUP BY 1`
      : sql<{ cur: boolean; withLead: number; toDeal: number }[]>`
          SELECT m.occurred_at >= ${q.period.from} AS cur, count(*)::int AS with_lead, 0 AS to_deal
          FROM messages m JOIN leads l ON l.id = m.lead_id
          WHERE m.direction = 'in' AND m.occurred_at >= ${prev.from} AND m.occurred_at < ${q.period.to}
            AND ${scoped(sql, q.scope, 'l.team')}
          GROUP BY 1`,
  ]);
  const figures = (p: 'cur' | 'prev'): LeadFigures => {
    const pr = (row ?? {}) as Record<string, unknown>;
    const get = <T>(k: keyof PeriodRow) => pr[`${p}${k[0]!.toUpperCase()}${k.slice(1)}`] as T;
    const a = attached.find((x) => x.cur === (p === 'cur'));
    const leads = get<number>('leads') ?? 0;
    const attachedToLead = Math.max(0, (a?.withLead ?? 0) - leads);
    const taken = get<number[] | null>('takenPct');
    const response = get<number[] | null>('responsePct');
    return {
      leads,
      newLeads: get<number>('newLeads') ?? 0,
      repeatLeads: get<number>('repeatLeads') ?? 0,
      attachedToLead,
      attachedToDeal: a?.toDeal ?? 0,
      open: get<number>('open') ?? 0,
      taken: get<number>('taken') ?? 0,
      takenMedianSeconds: secs(taken?.[0] ?? null),
      takenP90Seconds: secs(taken?.[1] ?? null),
      responded: get<number>('responded') ?? 0,
      firstResponseMedianSeconds: secs(response?.[0] ?? null),
      firstResponseP90Seconds: secs(response?.[1] ?? null),
      converted: get<number>('converted') ?? 0,
      junk: get<number>('junk') ?? 0,
      conversionRate: ratio(get<number>('converted') ?? 0, leads),
    };
  };
  return { current: figures('cur'), previous: figures('prev') };
}

export interface SlaFigures {
  /** Leads with at least one SLA step fired in the period. */
  breachedLeads: number;
  /** Steps fired (repeats counted), by ladder step. */
  steps: { step: string; fired: number }[];
  /** Alert deliveries created in the period, by ladder step, channel and delivery status. */
  alerts: { step: string; channel: string; status: string; count: number }[];
}

/** SLA breaches and the alerts they sent, now and before. */
export async function slaFigures(
  sql: Queryable,
  q: AnalyticsInput,
): Promise<{ current: SlaFigures; previous: SlaFigures }> {
  const prev = previousPeriod(q.period);
  const [breached, steps, alerts] = await Promise.all([
    sql<{ cur: boolean; n: number }[]>`
      SELECT s.fired_at >= ${q.period.from} AS cur, count(DISTINCT s.lead_id)::int AS n FROM sla_steps s
      WHERE s.fired_at >= ${prev.from} AND s.fired_at < ${q.period.to} AND ${scoped(sql, q.scope, 's.team')}
      GROUP BY 1`,
    sql<{ cur: boolean; step: string; fired: number }[]>`
      SELECT s.fired_at >= ${q.period.from} AS cur, s.step_id AS step, count(*)::int AS fired FROM sla_steps s
      WHERE s.fired_at >= ${prev.from} AND s.fired_at < ${q.period.to} AND ${scoped(sql, q.scope, 's.team')}
      GROUP BY 1, 2 ORDER BY 2`,
    sql<{ cur: boolean; step: string; channel: string; status: string; count: number }[]>`
      SELECT n.created_at >= ${q.period.from} AS cur, n.step_id AS step, n.channel, n.status,
             count(*)::int AS count
      FROM sla_notifications n
      WHERE n.created_at >= ${prev.from} AND n.created_at < ${q.period.to} AND ${scoped(sql, q.scope, 'n.team')}
      GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4`,
  ]);
  const figures = (cur: boolean): SlaFigures => ({
    breachedLeads: breached.find((r) => r.cur === cur)?.n ?? 0,
    steps: steps.filter((r) => r.cur === cur).map(({ step, fired }) => ({ step, fired })),
    alerts: alerts
      .filter((r) => r.cur === cur)
      .map(({ step, channel, status, count }) => ({ step, channel, status, count })),
  });
  return { current: figures(true), previous: figures(false) };
}

export const BREAKDOWNS = ['channel', 'region', 'clientType', 'team', 'manager'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number];

// What a lead is grouped by: channel and team as stored; region and client type as routing established them
// when the lead was made (the trace's facts); the manager is the lead's responsible now.
const KEYS: Record<Breakdown, string> = {
  channel: 'l.channel',
  region: "l.routing->'facts'->'region'->>'region'",
  clientType: "l.routing->'facts'->'clientType'->>'type'",
  team: 'l.team',
  manager: 'l.responsible',
};

export interface BreakdownRow {
  /** null: not known (no region, no team, nobody responsible). */
  key: string | null;
  leads: number;
  previousLeads: number;
  /** Of the period's leads, still new or in progress now. */
  open: number;
  /** Open leads right now, whenever they came (team and manager breakdowns only). */
  openNow?: number;
  takenMedianSeconds: Seconds;
  firstResponseMedianSeconds: Seconds;
  converted: number;
  conversionRate: number | null;
  previousConversionRate: number | null;
}

/** The period's leads by channel, region, client type, team or manager, with the previous period's count. */
export async function breakdown(
  sql: Queryable,
  q: AnalyticsInput & { by: Breakdown },
): Promise<BreakdownRow[]> {
  const prev = previousPeriod(q.period);
  const key = sql.unsafe(KEYS[q.by]);
  const rows = await sql<
    {
      key: string | null;
      leads: number;
      previousLeads: number;
      open: number;
      converted: number;
      previousConverted: number;
      takenMedian: number | null;
      responseMedian: number | null;
    }[]
  >`
    WITH l AS (
      SELECT ${key} AS key, l.status, l.first_contact_at >= ${q.period.from} AS cur,
             ${sql.unsafe(TAKE_S)} AS take_s, ${sql.unsafe(RESPONSE_S)} AS response_s
      FROM leads l
      WHERE l.first_contact_at >= ${prev.from} AND l.first_contact_at < ${q.period.to}
        AND ${scoped(sql, q.scope, 'l.team')}
    )
    SELECT key,
           count(*) FILTER (WHERE cur)::int AS leads,
           count(*) FILTER (WHERE NOT cur)::int AS previous_leads,
           count(*) FILTER (WHERE cur AND status IN ('new', 'in_progress'))::int AS open,
           count(*) FILTER (WHERE cur AND status = 'converted')::int AS converted,
           count(*) FILTER (WHERE NOT cur AND status = 'converted')::int AS previous_converted,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY take_s) FILTER (WHERE cur) AS taken_median,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY response_s) FILTER (WHERE cur) AS response_median
    FROM l GROUP BY key ORDER BY count(*) FILTER (WHERE cur) DESC, key NULLS LAST`;
  const openNow =
    q.by === 'manager' || q.by === 'team'
      ? await sql<{ key: string | null; n: number }[]>`
          SELECT ${key} AS key, count(*)::int AS n FROM leads l
          WHERE l.status IN ('new', 'in_progress') AND ${scoped(sql, q.scope, 'l.team')} GROUP BY 1`
      : undefined;
  const out: BreakdownRow[] = rows.map((r) => ({
    key: r.key,
    leads: r.leads,
    previousLeads: r.previousLeads,
    open: r.open,
    ...(openNow ? { openNow: openNow.find((o) => o.key === r.key)?.n ?? 0 } : {}),
    takenMedianSeconds: secs(r.takenMedian),
    firstResponseMedianSeconds: secs(r.responseMedian),
    converted: r.converted,
    conversionRate: ratio(r.converted, r.leads),
    previousConversionRate: ratio(r.previousConverted, r.previousLeads),
  }));
  // A manager (or team) with open leads but none that came in the period still shows up with their load.
  for (const o of openNow ?? [])
    if (!out.some((r) => r.key === o.key))
      out.push({
        key: o.key,
        leads: 0,
        previousLeads: 0,
        open: 0,
        openNow: o.n,
        takenMedianSeconds: null,
        firstResponseMedianSeconds: null,
        converted: 0,
        conversionRate: null,
        previousConversionRate: null,
      });
  return out;
}

// Each lead's team's zone: a hash join with the few configured teams (a correlated lookup per lead costs more).
const zoneJoin = (sql: Queryable, z: TeamZones) =>
  sql`LEFT JOIN (SELECT * FROM unnest(${z.teams}::text[], ${z.zones}::text[]) AS z(team, zone)) z ON z.team = l.team`;
const zoneOf = (sql: Queryable, z: TeamZones) => sql`coalesce(z.zone, ${z.fallback}::text)`;

/**
 * The period's new requests (leads, by first contact) by weekday (1 = Monday) × hour, each in its team's time
 * zone: `cells[weekday - 1][hour]`.
 */
export async function heatmap(
  sql: Queryable,
  q: AnalyticsInput & { zones: TeamZones },
): Promise<{ cells: number[][]; total: number; max: number }> {
  const rows = await sql<{ dow: number; hour: number; n: number }[]>`
    WITH l AS (
      SELECT l.first_contact_at AT TIME ZONE ${zoneOf(sql, q.zones)} AS local FROM leads l ${zoneJoin(sql, q.zones)}
      WHERE l.first_contact_at >= ${q.period.from} AND l.first_contact_at < ${q.period.to}
        AND ${scoped(sql, q.scope, 'l.team')}
    )
    SELECT extract(isodow FROM local)::int AS dow, extract(hour FROM local)::int AS hour, count(*)::int AS n
    FROM l GROUP BY 1, 2`;
  const cells = Array.from({ length: 7 }, () => Array.from({ length: 24 }, () => 0));
  let total = 0;
  let max = 0;
  for (const r of rows) {
    cells[r.dow - 1]![r.hour] = r.n;
    total += r.n;
    max = Math.max(max, r.n);
  }
  return { cells, total, max };
}

export interface DailyPoint {
  /** Local date (YYYY-MM-DD) in the lead's team's time zone. */
  date: string;
  leads: number;
  newLeads: number;
  repeatLeads: number;
  converted: number;
}

/** Leads per local day in the period and in the previous one (day i of one faces day i of the other). */
export async function daily(
  sql: Queryable,
  q: AnalyticsInput & { zones: TeamZones },
): Promise<{ current: DailyPoint[]; previous: DailyPoint[] }> {
  const prev = previousPeriod(q.period);
  const rows = await sql<(DailyPoint & { cur: boolean })[]>`
    WITH l AS (
      SELECT l.kind, l.status, l.first_contact_at >= ${q.period.from} AS cur,
             (l.first_contact_at AT TIME ZONE ${zoneOf(sql, q.zones)})::date AS day
      FROM leads l ${zoneJoin(sql, q.zones)}
      WHERE l.first_contact_at >= ${prev.from} AND l.first_contact_at < ${q.period.to}
        AND ${scoped(sql, q.scope, 'l.team')}
    )
    SELECT cur, to_char(day, 'YYYY-MM-DD') AS date, count(*)::int AS leads,
           count(*) FILTER (WHERE kind = 'new')::int AS new_leads,
           count(*) FILTER (WHERE kind = 'repeat')::int AS repeat_leads,
           count(*) FILTER (WHERE status = 'converted')::int AS converted
    FROM l GROUP BY cur, day ORDER BY day`;
  const days = (p: Period, cur: boolean): DailyPoint[] => {
    const found = new Map(rows.filter((r) => r.cur === cur).map((r) => [r.date, r]));
    const out: DailyPoint[] = [];
    for (const date of localDates(p, q.zones.fallback, found.keys())) {
      const r = found.get(date);
      out.push({
        date,
        leads: r?.leads ?? 0,
        newLeads: r?.newLeads ?? 0,
        repeatLeads: r?.repeatLeads ?? 0,
        converted: r?.converted ?? 0,
      });
    }
    return out;
  };
  return { current: days(q.period, true), previous: days(prev, false) };
}

/** Every local date the period touches in `timeZone`, plus any other date found (a team in another zone). */
function localDates(p: Period, timeZone: string, found: Iterable<string>): string[] {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const dates = new Set<string>(found);
  for (let t = p.from.getTime(); t < p.to.getTime(); t += 3_600_000) dates.add(f.format(new Date(t)));
  return [...dates].sort();
}

export interface WaitingLead {
  id: string;
  team: string | null;
  channel: string;
  contactName: string | null;
  firstContactAt: Date;
  queuedAt: Date | null;
}

export interface NowFigures {
  /** Open leads (new or in progress) nobody is responsible for. */
  unowned: number;
  /** Open leads waiting in their team's queue for a manager on shift (or under capacity). */
  waitingForShift: number;
  teams: { team: string | null; unowned: number; waitingForShift: number; oldestAt: Date | null }[];
  /** The longest-waiting of them, oldest first (at most 20). */
  oldest: WaitingLead[];
}

/** Leads right now without an owner or waiting for a shift. Not tied to the period. */
export async function nowFigures(sql: Queryable, q: { scope: Scope }): Promise<NowFigures> {
  const waiting =
    () => sql`l.status IN ('new', 'in_progress') AND (l.responsible IS NULL OR l.queued_at IS NOT NULL)
                      AND ${scoped(sql, q.scope, 'l.team')}`;
  const [teams, oldest] = await Promise.all([
    sql<{ team: string | null; unowned: number; waitingForShift: number; oldestAt: Date | null }[]>`
      SELECT l.team, count(*) FILTER (WHERE l.responsible IS NULL)::int AS unowned,
             count(*) FILTER (WHERE l.queued_at IS NOT NULL)::int AS waiting_for_shift,
             min(l.first_contact_at) AS oldest_at
      FROM leads l WHERE ${waiting()} GROUP BY l.team ORDER BY l.team NULLS LAST`,
    sql<WaitingLead[]>`
      SELECT l.id, l.team, l.channel, c.name AS contact_name, l.first_contact_at, l.queued_at
      FROM leads l JOIN contacts c ON c.id = l.contact_id
      WHERE ${waiting()} ORDER BY l.first_contact_at, l.id LIMIT 20`,
  ]);
  return {
    unowned: teams.reduce((s, t) => s + t.unowned, 0),
    waitingForShift: teams.reduce((s, t) => s + t.waitingForShift, 0),
    teams,
    oldest,
  };
}
