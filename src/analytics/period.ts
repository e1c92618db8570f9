import { startOfLocalDay } from '../core/working-hours.js';

/** A half-open interval of instants [from, to): the period a figure is computed for. */
export interface Period {
  from: Date;
  to: Date;
}

const DAY = 86_400_000;
/** The longest period the analytics answer for (a year and a day covers "last year" in any zone). */
export const MAX_PERIOD_DAYS = 367;

/** The period of equal length just before `p`: what each figure is compared with. */
export function previousPeriod(p: Period): Period {
  const length = p.to.getTime() - p.from.getTime();
  return { from: new Date(p.from.getTime() - length), to: p.from };
}

export type PresetName = 'today' | '7d' | '30d';
export const PRESETS: readonly PresetName[] = ['today', '7d', '30d'];

/**
 * The dashboard's presets in the viewer's time zone: «сегодня» is local midnight to now (compared with the same
 * hours of yesterday); «7 дней» and «30 дней» are that many local days, today included, up to now.
 */
export function presetPeriod(name: PresetName, now: Date, timeZone: string): Period {
  const today = startOfLocalDay(now, timeZone);
  const days = name === 'today' ? 0 : name === '7d' ? 6 : 29;
  return { from: days === 0 ? today : localMidnight(today, -days, timeZone), to: now };
}

/** Whole local days `from`..`to` (YYYY-MM-DD, both included) in `timeZone`. */
export function daysPeriod(from: string, to: string, timeZone: string): Period {
  const start = startOfLocalDay(morningUtc(from), timeZone);
  const end = startOfLocalDay(new Date(morningUtc(to).getTime() + DAY), timeZone);
  return { from: start, to: end };
}

/** Why a period cannot be used, or undefined when it can. */
export function periodProblem(p: Period): string | undefined {
  if (Number.isNaN(p.from.getTime()) || Number.isNaN(p.to.getTime())) return 'not a date';
  if (p.to <= p.from) return '`to` must be after `from`';
  if (p.to.getTime() - p.from.getTime() > MAX_PERIOD_DAYS * DAY) return `at most ${MAX_PERIOD_DAYS} days`;
  return undefined;
}

/** Midnight `days` local days after the local day starting at `midnight` (DST-safe: re-anchored at noon). */
function localMidnight(midnight: Date, days: number, timeZone: string): Date {
  return startOfLocalDay(new Date(midnight.getTime() + days * DAY + DAY / 2), timeZone);
}

// 09:00 UTC of a calendar date is that same date in every zone from UTC-9 to UTC+14 (all of Russia's).
function morningUtc(date: string): Date {
  return new Date(`${date}T09:00:00Z`);
}
