/**
 * Working hours of a team, in the team's IANA time zone: several periods a day, days off, holidays and
 * special days (a shortened pre-holiday day, a Saturday worked instead of a bridge day). Pure: every function
 * takes the instant it reasons about; nothing reads the clock. The SLA clock reuses this module.
 *
 * - `isOnShift(hours, at)`: is `at` inside a working period?
 * - `nextShiftStart(hours, at)`: the earliest instant >= `at` that is on shift (`at` itself when on shift).
 * - `addWorkingMinutes(hours, at, n)`: the instant after `n` working minutes counted from `at`.
 * - `workingMinutesBetween(hours, from, to)`: working minutes in [from, to).
 *
 * Periods are half-open [start, end): a 09:00-18:00 day is on shift at 09:00 and off at 18:00.
 * Local times that do not exist or repeat (DST changes; Russia has had none since 2014) are resolved to
 * the offset in force just before the change.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A working period as minutes since local midnight, start < end <= 1440. */
export interface Period {
  readonly start: number;
  readonly end: number;
}

/** Parsed working hours. Build it with `parseWorkingHours`. */
export interface WorkingHours {
  readonly timeZone: string;
  /** Periods per weekday, sorted; an empty list is a day off. */
  readonly weekly: Readonly<Record<Weekday, readonly Period[]>>;
  /** Local dates (YYYY-MM-DD) that are off whatever the weekday. */
  readonly holidays: ReadonlySet<string>;
  /** Local dates with their own periods (wins over weekly and holidays). */
  readonly specialDays: ReadonlyMap<string, readonly Period[]>;
}

/** Working hours as written in config: `"09:00-13:00"` strings; a weekday left out is a day off. */
export interface WorkingHoursInput {
  timeZone: string;
  weekly: Partial<Record<Weekday, readonly string[]>>;
  holidays?: readonly string[];
  specialDays?: Readonly<Record<string, readonly string[]>>;
}

const PERIOD = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MINUTE = 60_000;
const DAY_MINUTES = 1440;
// Searching further than this for the next shift means the hours have no working period at all.
const SEARCH_DAYS = 400;

/** Thrown for hours that cannot be used; `path` names the offending setting relative to the hours object. */
export class WorkingHoursError extends Error {
  constructor(
    readonly path: (string | number)[],
    message: string,
  ) {
    super(`${path.join('.')}: ${message}`);
    this.name = 'WorkingHoursError';
  }
}

/** Parses one `"HH:MM-HH:MM"` period. */
export function parsePeriod(text: string): Period | undefined {
  const m = PERIOD.exec(text.trim());
  if (!m) return undefined;
  const start = Number(m[1]) * 60 + Number(m[2]);
  const end = Number(m[3]) * 60 + Number(m[4]);
  if (end > DAY_MINUTES || start >= end) return undefined;
  return { start, end };
}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** True for a real calendar date written as YYYY-MM-DD. */
export function isValidDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/**
 * Validates and parses hours from config.
 * @throws WorkingHoursError naming the bad field: unknown zone, malformed or overlapping periods, bad dates.
 */
export function parseWorkingHours(input: WorkingHoursInput): WorkingHours {
  if (!isValidTimeZone(input.timeZone))
    throw new WorkingHoursError(['timeZone'], `unknown time zone "${input.timeZone}"`);
  const periods = (texts: readonly string[], path: (string | number)[]): Period[] => {
    const parsed = texts.map((t, i) => {
      const p = parsePeriod(t);
      if (!p)
        throw new WorkingHoursError(
          [...path, i],
          `"${t}" is not a period "HH:MM-HH:MM" with start before end (end may be 24:00)`,
        );
      return p;
    });
    parsed.sort((a, b) => a.start - b.start);
    for (let i = 1; i < parsed.length; i++)
      if (parsed[i]!.start < parsed[i - 1]!.end)
        throw new WorkingHoursError(path, `periods overlap: ${texts.join(', ')}`);
    return parsed;
  };
  const weekly = Object.fromEntries(
    WEEKDAYS.map((d) => [d, periods(input.weekly[d] ?? [], ['weekly', d])]),
  ) as Record<Weekday, Period[]>;
  for (const [i, date] of (input.holidays ?? []).entries())
    if (!isValidDate(date))
      throw new WorkingHoursError(['holidays', i], `"${date}" is not a date YYYY-MM-DD`);
  const specialDays = new Map<string, Period[]>();
  for (const [date, texts] of Object.entries(input.specialDays ?? {})) {
    if (!isValidDate(date))
      throw new WorkingHoursError(['specialDays', date], `"${date}" is not a date YYYY-MM-DD`);
    specialDays.set(date, periods(texts, ['specialDays', date]));
  }
  return { timeZone: input.timeZone, weekly, holidays: new Set(input.holidays ?? []), specialDays };
}

/** True when `at` falls inside a working period of its local day. */
export function isOnShift(hours: WorkingHours, at: Date): boolean {
  const local = localTime(at, hours.timeZone);
  return periodsOn(hours, local.day).some((p) => local.minute >= p.start && local.minute < p.end);
}

/**
 * The earliest instant >= `at` that is on shift: `at` itself when on shift, else the start of the next
 * period. Undefined when there is no working period within ~13 months (hours that never open).
 */
export function nextShiftStart(hours: WorkingHours, at: Date): Date | undefined {
  for (const w of windowsFrom(hours, at)) return w.start;
  return undefined;
}

/**
 * The instant reached after `minutes` working minutes counted from `at` (off-shift time does not count).
 * `minutes` <= 0 returns `at`. Undefined when the hours never open.
 */
export function addWorkingMinutes(hours: WorkingHours, at: Date, minutes: number): Date | undefined {
  if (minutes <= 0) return at;
  let left = minutes * MINUTE;
  for (const w of windowsFrom(hours, at)) {
    const length = w.end.getTime() - w.start.getTime();
    if (left <= length) return new Date(w.start.getTime() + left);
    left -= length;
  }
  return undefined;
}

/** Local midnight of the day `at` falls on in the zone (the SLA summary's "today"). */
export function startOfLocalDay(at: Date, timeZone: string): Date {
  return zonedToInstant(localTime(at, timeZone).day, 0, timeZone);
}

/** Working minutes between `from` and `to` (0 when `to` <= `from`); fractional minutes are kept. */
export function workingMinutesBetween(hours: WorkingHours, from: Date, to: Date): number {
  let total = 0;
  for (const w of windowsFrom(hours, from)) {
    if (w.start >= to) break;
    total += Math.min(w.end.getTime(), to.getTime()) - w.start.getTime();
  }
  return total / MINUTE;
}

/** On-shift windows from `at` on, clipped to start at `at`, adjacent periods merged (e.g. across midnight). */
function* windowsFrom(hours: WorkingHours, at: Date): Generator<{ start: Date; end: Date }> {
  const first = localTime(at, hours.timeZone).day;
  let pending: { start: Date; end: Date } | undefined;
  for (let i = 0; i < SEARCH_DAYS; i++) {
    const day = addDays(first, i);
    for (const p of periodsOn(hours, day)) {
      let start = zonedToInstant(day, p.start, hours.timeZone);
      const end = zonedToInstant(day, p.end, hours.timeZone);
      if (end <= at) continue;
      if (start < at) start = at;
      if (pending && pending.end.getTime() === start.getTime()) {
        pending.end = end;
        continue;
      }
      if (pending) yield pending;
      pending = { start, end };
    }
  }
  if (pending) yield pending;
}

interface LocalDay {
  year: number;
  month: number;
  day: number;
}

function periodsOn(hours: WorkingHours, day: LocalDay): readonly Period[] {
  const key = dateKey(day);
  const special = hours.specialDays.get(key);
  if (special) return special;
  if (hours.holidays.has(key)) return [];
  return hours.weekly[weekdayOf(day)];
}

function dateKey(d: LocalDay): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function weekdayOf(d: LocalDay): Weekday {
  const js = new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay(); // 0 = Sunday
  return WEEKDAYS[(js + 6) % 7]!;
}

function addDays(d: LocalDay, n: number): LocalDay {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallParts(at: number, timeZone: string): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return parts;
}

/** Local calendar day and minute of the day (fractional) of an instant in a zone. */
function localTime(at: Date, timeZone: string): { day: LocalDay; minute: number } {
  const t = at.getTime();
  const seconds = Math.floor(t / 1000) * 1000;
  const wall = new Date(seconds + offsetAt(t, timeZone));
  return {
    day: { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() },
    minute:
      wall.getUTCHours() * 60 + wall.getUTCMinutes() + (wall.getUTCSeconds() * 1000 + t - seconds) / MINUTE,
  };
}

/** Offset of the zone from UTC at an instant, in ms, as Intl formats it (whole seconds). */
function formattedOffset(at: number, timeZone: string): number {
  const p = wallParts(at, timeZone);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(at / 1000) * 1000;
}

// Offsets by zone and UTC minute. Formatting is the costly part of this module (every routing decision and SLA
// step asks for the same few days and the current minute); a zone's offset is the same for a whole minute but
// for the rare minute in which it changes (historical changes can fall inside one), which is not cached.
const OFFSETS_KEPT = 4096;
const offsets = new Map<string, Map<number, number>>();

/** Offset of the zone from UTC at an instant, in ms. */
function offsetAt(at: number, timeZone: string): number {
  const minute = Math.floor(at / MINUTE);
  let zone = offsets.get(timeZone);
  const known = zone?.get(minute);
  if (known !== undefined) return known;
  const first = formattedOffset(minute * MINUTE, timeZone);
  if (first !== formattedOffset(minute * MINUTE + MINUTE - 1000, timeZone))
    return formattedOffset(at, timeZone);
  if (!zone) {
    zone = new Map();
    offsets.set(timeZone, zone);
  } else if (zone.size >= OFFSETS_KEPT) zone.clear();
  zone.set(minute, first);
  return first;
}

/** The instant of local `minute` (0..1440) on `day` in the zone. */
function zonedToInstant(day: LocalDay, minute: number, timeZone: string): Date {
  const wall = Date.UTC(day.year, day.month - 1, day.day) + minute * MINUTE;
  const first = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(first, timeZone);
  return new Date(second);
}
