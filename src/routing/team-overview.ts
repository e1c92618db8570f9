import type { Sql } from 'postgres';
import type { Config } from '../config/schema.js';
import { isOnShift, nextShiftStart } from '../core/working-hours.js';
import { buildTeamDirectory } from './teams.js';

/**
 * Teams as configured with who is on shift right now and their loads: `GET /api/v1/teams` and the admin
 * page «Команды и смены» show the same thing.
 */
export function createTeamOverview(config: Config) {
  const directory = buildTeamDirectory(config);

  const openLeads = async (sql: Sql) => {
    const rows = await sql<{ responsible: string; n: number }[]>`
      SELECT responsible, count(*)::int AS n FROM leads
      WHERE status IN ('new', 'in_progress') AND responsible IS NOT NULL GROUP BY responsible`;
    return new Map(rows.map((r) => [r.responsible, r.n]));
  };

  return {
    openLeads,
    async teams(sql: Sql, now: Date) {
      const [load, queues] = await Promise.all([
        openLeads(sql),
        sql<{ team: string; n: number }[]>`
          SELECT team, count(*)::int AS n FROM leads WHERE queued_at IS NOT NULL GROUP BY team`,
      ]);
      const queued = new Map(queues.map((q) => [q.team, q.n]));
      return config.teams.map((t) => {
        const rt = directory.teams.get(t.id)!;
        const onShiftNow = isOnShift(rt.hours, now);
        return {
          id: t.id,
          name: t.name,
          supervisor: t.supervisor ?? null,
          timeZone: t.timeZone,
          hours: t.hours ?? null,
          holidays: [...config.routing.holidays, ...t.holidays],
          specialDays: t.specialDays,
          assignment: t.assignment,
          sticky: t.sticky,
          onCall: t.onCall ?? null,
          onShiftNow,
          nextShiftStart: nextShiftStart(rt.hours, now)?.toISOString() ?? null,
          queuedLeads: queued.get(t.id) ?? 0,
          members: t.members.map((login) => {
            const active = directory.managers.get(login)?.active ?? false;
            return {
              login,
              name: directory.managers.get(login)?.name ?? login,
              active,
              /** Takes new leads now: the team is on shift and the manager is active. */
              onShiftNow: onShiftNow && active,
              capacity: rt.capacityOf(login) ?? null,
              openLeads: load.get(login) ?? 0,
            };
          }),
        };
      });
    },
  };
}

export type TeamOverview = Awaited<ReturnType<ReturnType<typeof createTeamOverview>['teams']>>;
