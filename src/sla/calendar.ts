import type { Config } from '../config/schema.js';
import { addWorkingMinutes, type WorkingHours, workingMinutesBetween } from '../core/working-hours.js';
import { buildTeamDirectory } from '../routing/teams.js';

/**
 * How an SLA clock counts time. The SLA needs only these two operations: `wallCalendar` counts every
 * millisecond, `workingCalendar` only a team's working hours (the routing part's calendar, src/routing).
 */
export interface SlaCalendar {
  /** The instant reached after `ms` of counted time from `start`. Undefined when it never comes. */
  addTime(start: Date, ms: number): Date | undefined;
  /** Counted time in [from, to), in ms (0 when `to` <= `from`). */
  elapsed(from: Date, to: Date): number;
}

export const wallCalendar: SlaCalendar = {
  addTime: (start, ms) => new Date(start.getTime() + Math.max(0, ms)),
  elapsed: (from, to) => Math.max(0, to.getTime() - from.getTime()),
};

const MINUTE = 60_000;

/** Counts only the periods of `hours` (days off, holidays and special days as routing defines them). */
export function workingCalendar(hours: WorkingHours): SlaCalendar {
  return {
    addTime: (start, ms) => addWorkingMinutes(hours, start, ms / MINUTE),
    elapsed: (from, to) => Math.round(workingMinutesBetween(hours, from, to) * MINUTE),
  };
}

export type SlaClockKind = 'wall' | 'working_hours';

/** Picks the calendar of a lead's team for a policy's clock. */
export type CalendarResolver = (team: string | null, clock: SlaClockKind) => SlaCalendar;

/** Every clock is the wall clock (until working hours are wired in). */
export const wallOnly: CalendarResolver = () => wallCalendar;

/**
 * The calendars of the configured teams: the wall clock, or for `working_hours` the team's hours from
 * `teams[]` (`timeZone`, `hours`, `holidays`, `specialDays`, plus `routing.holidays`). A lead without a team,
 * or of a team no longer configured, counts wall time.
 */
export function calendarsFromConfig(
  config: Pick<Config, 'managers' | 'teams' | 'routing'>,
): CalendarResolver {
  const built = new Map<string, SlaCalendar>();
  for (const [id, team] of buildTeamDirectory(config).teams) built.set(id, workingCalendar(team.hours));
  return (team, clock) => (clock === 'wall' || !team ? wallCalendar : (built.get(team) ?? wallCalendar));
}
