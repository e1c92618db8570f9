import type { Config } from '../config/schema.js';
import { workingCalendar, workingWeekOf } from './working-calendar.js';

/**
 * How an SLA clock counts time. The SLA needs only these two operations, so the working-hours
 * implementation (the routing part's calendar) plugs in behind this interface; `wallCalendar` counts every
 * millisecond.
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

export type SlaClockKind = 'wall' | 'working_hours';

/** Picks the calendar of a lead's team for a policy's clock. */
export type CalendarResolver = (team: string | null, clock: SlaClockKind) => SlaCalendar;

/** Every clock is the wall clock (until working hours are wired in). */
export const wallOnly: CalendarResolver = () => wallCalendar;

/**
 * The calendars configured for the SLA: the wall clock, or for `working_hours` the team's entry under
 * `sla.workingHours` (else its `default` entry; config validation makes sure one exists).
 */
export function calendarsFromConfig(config: Pick<Config, 'sla'>): CalendarResolver {
  const built = new Map<string, SlaCalendar>();
  for (const [id, hours] of Object.entries(config.sla.workingHours))
    built.set(id, workingCalendar(workingWeekOf(hours)));
  return (team, clock) =>
    clock === 'wall'
      ? wallCalendar
      : ((team ? built.get(team) : undefined) ?? built.get('default') ?? wallCalendar);
}
