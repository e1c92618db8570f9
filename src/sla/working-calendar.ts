import type { WorkingHoursConfig } from '../config/sla.js';
import type { SlaCalendar } from './calendar.js';
import { localParts, zonedInstant } from './zone.js';

/**
 * A minimal working-hours calendar for the SLA clock: weekly periods and holidays in the team's zone.
 * Stand-in until the routing part's working hours (src/routing/working-hours.ts, with special days) are on
 * main; it implements the same SlaCalendar interface, so swapping it is a change in calendarsFromConfig.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WorkingWeek {
  timeZone: string;
  /** Periods as [start, end) minutes since local midnight, sorted, not overlapping; empty = day off. */
  weekly: Record<Weekday, readonly (readonly [number, number])[]>;
  /** Local dates YYYY-MM-DD that are off. */
  holidays: ReadonlySet<string>;
}

// Looking further than this for working time means the hours never open.
const SEARCH_DAYS = 400;

/** `"09:00-18:00"` -> [540, 1080]; end may be 24:00. Undefined when malformed or empty. */
export function parsePeriod(text: string): [number, number] | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/.exec(text.trim());
  if (!m) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  return end <= 1440 && start < end ? [start, end] : undefined;
}

/** On-shift windows from `at` on, the first clipped to start at `at`. */
function* windows(week: WorkingWeek, at: Date): Generator<[number, number]> {
  const p = localParts(at, week.timeZone);
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const d = new Date(Date.UTC(p.year, p.month - 1, p.day + i));
    const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
    if (week.holidays.has(d.toISOString().slice(0, 10))) continue;
    for (const [s, e] of week.weekly[WEEKDAYS[(d.getUTCDay() + 6) % 7]!]) {
      const start = zonedInstant(y, m, day, s, week.timeZone).getTime();
      const end = zonedInstant(y, m, day, e, week.timeZone).getTime();
      if (end > at.getTime()) yield [Math.max(start, at.getTime()), end];
    }
  }
}

/** The configured hours as a WorkingWeek (periods parsed and sorted; config validation rejected bad ones). */
export function workingWeekOf(hours: WorkingHoursConfig): WorkingWeek {
  const day = (texts: readonly string[] | undefined) =>
    (texts ?? [])
      .map((t) => parsePeriod(t))
      .filter((p): p is [number, number] => p !== undefined)
      .sort((a, b) => a[0] - b[0]);
  return {
    timeZone: hours.timeZone,
    weekly: {
      mon: day(hours.weekly.mon),
      tue: day(hours.weekly.tue),
      wed: day(hours.weekly.wed),
      thu: day(hours.weekly.thu),
      fri: day(hours.weekly.fri),
      sat: day(hours.weekly.sat),
      sun: day(hours.weekly.sun),
    },
    holidays: new Set(hours.holidays),
  };
}

export function workingCalendar(week: WorkingWeek): SlaCalendar {
  return {
    addTime(start, ms) {
      if (ms <= 0) return start;
      let left = ms;
      for (const [s, e] of windows(week, start)) {
        if (left <= e - s) return new Date(s + left);
        left -= e - s;
      }
      return undefined;
    },
    elapsed(from, to) {
      let total = 0;
      for (const [s, e] of windows(week, from)) {
        if (s >= to.getTime()) break;
        total += Math.min(e, to.getTime()) - s;
      }
      return total;
    },
  };
}
