import { startOfLocalDay } from '../core/working-hours.js';
import type { Queryable } from '../db/queryable.js';
import type { CalendarResolver } from './calendar.js';
import type { SlaPolicies } from './policy.js';
import { breachAt } from './rules.js';

const MIN = 60_000;
/** Wall age since first contact; upper bounds exclusive. */
export const AGE_BUCKETS = [
  { key: 'under30m', below: 30 * MIN },
  { key: '30m_1h', below: 60 * MIN },
  { key: '1h_2h', below: 120 * MIN },
  { key: '2h_4h', below: 240 * MIN },
  { key: '4h_24h', below: 1440 * MIN },
  { key: 'over24h', below: Number.POSITIVE_INFINITY },
] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number]['key'];

export interface SummaryGroup {
  /** Open leads still new, by wall age. */
  openNew: number;
  byAge: Record<AgeBucket, number>;
  /** Of those, past their policy's threshold now. */
  overdue: number;
  /** Leads whose threshold passed today (local day in `timeZone`) while still new, handled since or not. */
  breachesToday: number;
}

export interface SlaSummary extends SummaryGroup {
  generatedAt: Date;
  timeZone: string;
  todayStart: Date;
  teams: (SummaryGroup & { team: string | null })[];
  managers: (SummaryGroup & { responsible: string | null })[];
}

interface Row {
  id: string;
  status: string;
  team: string | null;
  responsible: string | null;
  firstContactAt: Date;
  takenAt: Date | null;
}

/** Open new leads by age bucket, overdue ones and breaches today, overall, by team and by manager. */
export async function slaSummary(
  sql: Queryable,
  o: { now: Date; timeZone: string; policies: SlaPolicies; calendars: CalendarResolver },
): Promise<SlaSummary> {
  const todayStart = startOfLocalDay(o.now, o.timeZone);
  // A breach today needs a lead still new, or one taken today (a breach precedes its taking).
  const rows = await sql<Row[]>`
    SELECT id, status, team, responsible, first_contact_at, taken_at FROM leads
    WHERE status = 'new' UNION ALL
    SELECT id, status, team, responsible, first_contact_at, taken_at FROM leads
    WHERE status <> 'new' AND taken_at >= ${todayStart} AND first_contact_at <= ${o.now}`;
  const total = emptyGroup();
  const teams = new Map<string | null, SummaryGroup>();
  const managers = new Map<string | null, SummaryGroup>();
  const groupOf = <K>(m: Map<K, SummaryGroup>, k: K) => {
    const g = m.get(k) ?? emptyGroup();
    m.set(k, g);
    return g;
  };
  for (const r of rows) {
    const policy = o.policies.policyFor(r.team);
    const breach = breachAt(policy, r.firstContactAt, o.calendars(r.team, policy.clock));
    const groups = [total, groupOf(teams, r.team), groupOf(managers, r.responsible)];
    const isNew = r.status === 'new';
    const breachedToday =
      breach !== undefined &&
      breach >= todayStart &&
      breach <= o.now &&
      (isNew || (r.takenAt !== null && r.takenAt > breach));
    for (const g of groups) {
      if (breachedToday) g.breachesToday++;
      if (!isNew) continue;
      g.openNew++;
      const age = o.now.getTime() - r.firstContactAt.getTime();
      g.byAge[AGE_BUCKETS.find((b) => age < b.below)!.key]++;
      if (breach !== undefined && breach <= o.now) g.overdue++;
    }
  }
  const sorted = <K>(m: Map<K, SummaryGroup>) =>
    [...m.entries()].sort((a, b) => String(a[0] ?? '').localeCompare(String(b[0] ?? '')));
  return {
    generatedAt: o.now,
    timeZone: o.timeZone,
    todayStart,
    ...total,
    teams: sorted(teams).map(([team, g]) => ({ team, ...g })),
    managers: sorted(managers).map(([responsible, g]) => ({ responsible, ...g })),
  };
}

function emptyGroup(): SummaryGroup {
  return {
    openNew: 0,
    byAge: Object.fromEntries(AGE_BUCKETS.map((b) => [b.key, 0])) as Record<AgeBucket, number>,
    overdue: 0,
    breachesToday: 0,
  };
}
