import { describe, expect, it } from 'vitest';
import {
  addWorkingMinutes,
  isOnShift,
  nextShiftStart,
  parseWorkingHours,
  type WorkingHoursInput,
  workingMinutesBetween,
} from './working-hours.js';

const weekdays = (periods: string[]) => ({
  mon: periods,
  tue: periods,
  wed: periods,
  thu: periods,
  fri: periods,
});
const office = (timeZone: string, extra: Partial<WorkingHoursInput> = {}) =>
  parseWorkingHours({ timeZone, weekly: weekdays(['09:00-13:00', '14:00-18:00']), ...extra });

// 2026-11-23 is a Monday.
describe('isOnShift across Russian time zones', () => {
  const cases: [zone: string, utc: string, expected: boolean, what: string][] = [
    ['Europe/Moscow', '2026-11-23T06:00:00Z', true, '09:00 MSK opens (start inclusive)'],
    ['Europe/Moscow', '2026-11-23T05:59:59Z', false, '08:59:59 MSK'],
    ['Europe/Moscow', '2026-11-23T10:00:00Z', false, '13:00 MSK lunch (end exclusive)'],
    ['Europe/Moscow', '2026-11-23T10:30:00Z', false, '13:30 MSK lunch'],
    ['Europe/Moscow', '2026-11-23T11:00:00Z', true, '14:00 MSK after lunch'],
    ['Europe/Moscow', '2026-11-23T15:00:00Z', false, '18:00 MSK closed'],
    ['Europe/Kaliningrad', '2026-11-23T07:00:00Z', true, '09:00 in Kaliningrad (UTC+2)'],
    ['Europe/Kaliningrad', '2026-11-23T06:30:00Z', false, '08:30 in Kaliningrad'],
    ['Europe/Samara', '2026-11-23T05:00:00Z', true, '09:00 in Samara (UTC+4)'],
    ['Asia/Yekaterinburg', '2026-11-23T04:00:00Z', true, '09:00 in Yekaterinburg (UTC+5)'],
    ['Asia/Novosibirsk', '2026-11-23T02:00:00Z', true, '09:00 in Novosibirsk (UTC+7)'],
    ['Asia/Novosibirsk', '2026-11-23T06:00:00Z', false, '13:00 in Novosibirsk, 09:00 in Moscow'],
    ['Asia/Vladivostok', '2026-11-22T23:00:00Z', true, 'Monday 09:00 in Vladivostok is Sunday in UTC'],
    ['Asia/Kamchatka', '2026-11-22T21:00:00Z', true, 'Monday 09:00 in Kamchatka (UTC+12)'],
    ['Asia/Kamchatka', '2026-11-23T21:00:00Z', true, 'Tuesday 09:00 in Kamchatka'],
    ['Asia/Kamchatka', '2026-11-28T00:00:00Z', false, 'Saturday 12:00 in Kamchatka'],
    ['Europe/Moscow', '2026-11-28T08:00:00Z', false, 'Saturday 11:00 MSK: a day left out is off'],
    ['Europe/Moscow', '2026-07-20T06:00:00Z', true, 'July: no DST in Russia'],
  ];
  it.each(cases)('%s at %s -> %s (%s)', (zone, utc, expected) => {
    expect(isOnShift(office(zone), new Date(utc))).toBe(expected);
  });
});

describe('holidays and special days', () => {
  const hours = office('Europe/Moscow', {
    holidays: ['2026-11-04', '2027-01-01'],
    specialDays: { '2026-11-03': ['09:00-14:00'], '2026-11-28': ['10:00-15:00'] },
  });
  it.each([
    ['2026-11-04T07:00:00Z', false, 'National Unity Day (Wednesday) is a holiday'],
    ['2026-11-03T10:30:00Z', true, 'pre-holiday short day: 13:30 is inside 09:00-14:00'],
    ['2026-11-03T11:30:00Z', false, 'pre-holiday short day: 14:30 is after it'],
    ['2026-11-28T08:00:00Z', true, 'a worked Saturday'],
    ['2026-11-05T07:00:00Z', true, 'the day after the holiday is normal'],
  ] as const)('%s -> %s (%s)', (utc, expected, _what) => {
    expect(isOnShift(hours, new Date(utc))).toBe(expected);
  });

  it('the local date decides: a holiday in Vladivostok starts at 14:00 UTC the day before', () => {
    const vvo = office('Asia/Vladivostok', { holidays: ['2026-11-24'] });
    expect(isOnShift(vvo, new Date('2026-11-23T23:30:00Z'))).toBe(false); // Tue 09:30 local, holiday
    expect(isOnShift(vvo, new Date('2026-11-23T05:00:00Z'))).toBe(true); // Mon 15:00 local
  });
});

describe('nextShiftStart', () => {
  const hours = office('Europe/Moscow', { holidays: ['2026-11-30'] });
  it.each([
    ['2026-11-23T07:00:00Z', '2026-11-23T07:00:00.000Z', 'on shift: now'],
    ['2026-11-23T10:15:00Z', '2026-11-23T11:00:00.000Z', 'lunch: 14:00 MSK'],
    ['2026-11-23T16:00:00Z', '2026-11-24T06:00:00.000Z', 'evening: next morning'],
    ['2026-11-27T15:30:00Z', '2026-12-01T06:00:00.000Z', 'Friday evening, Monday a holiday: Tuesday'],
  ] as const)('%s -> %s (%s)', (at, expected, _what) => {
    expect(nextShiftStart(hours, new Date(at))?.toISOString()).toBe(expected);
  });

  it('is undefined for hours that never open', () => {
    expect(nextShiftStart(parseWorkingHours({ timeZone: 'Europe/Moscow', weekly: {} }), new Date())).toBe(
      undefined,
    );
  });
});

describe('addWorkingMinutes and workingMinutesBetween (the SLA clock)', () => {
  const hours = office('Asia/Yekaterinburg', { holidays: ['2026-11-30'] });
  it.each([
    ['2026-11-23T04:00:00Z', 30, '2026-11-23T04:30:00.000Z', 'inside a period'],
    ['2026-11-23T07:50:00Z', 30, '2026-11-23T09:20:00.000Z', 'skips the lunch break'],
    ['2026-11-23T12:50:00Z', 30, '2026-11-24T04:20:00.000Z', 'rolls to the next morning'],
    ['2026-11-27T12:50:00Z', 30, '2026-12-01T04:20:00.000Z', 'over the weekend and a holiday'],
    ['2026-11-28T10:00:00Z', 60, '2026-12-01T05:00:00.000Z', 'starting on a day off'],
    ['2026-11-23T04:00:00Z', 480, '2026-11-23T13:00:00.000Z', 'a whole working day'],
    ['2026-11-23T04:00:00Z', 0, '2026-11-23T04:00:00.000Z', 'zero minutes'],
  ] as const)('%s + %i working min -> %s (%s)', (at, minutes, expected, _what) => {
    const end = addWorkingMinutes(hours, new Date(at), minutes)!;
    expect(end.toISOString()).toBe(expected);
    if (minutes > 0) expect(workingMinutesBetween(hours, new Date(at), end)).toBeCloseTo(minutes, 6);
  });

  it('counts working minutes only', () => {
    // Friday 17:00 local to Tuesday 10:00 local: 60 min Friday + (Monday is a holiday) 60 min Tuesday.
    expect(
      workingMinutesBetween(hours, new Date('2026-11-27T12:00:00Z'), new Date('2026-12-01T05:00:00Z')),
    ).toBe(120);
    expect(
      workingMinutesBetween(hours, new Date('2026-11-27T12:00:00Z'), new Date('2026-11-27T11:00:00Z')),
    ).toBe(0);
  });

  it('merges periods that meet at midnight into one window', () => {
    const night = parseWorkingHours({
      timeZone: 'Europe/Moscow',
      weekly: { mon: ['20:00-24:00'], tue: ['00:00-04:00'] },
    });
    // Monday 22:00 MSK + 150 min: 120 until midnight, 30 into Tuesday.
    expect(addWorkingMinutes(night, new Date('2026-11-23T19:00:00Z'), 150)?.toISOString()).toBe(
      '2026-11-23T21:30:00.000Z',
    );
    expect(nextShiftStart(night, new Date('2026-11-23T21:00:00Z'))?.toISOString()).toBe(
      '2026-11-23T21:00:00.000Z',
    );
  });
});

describe('parseWorkingHours rejects bad hours with the field named', () => {
  it.each([
    [{ timeZone: 'Mars/Olympus', weekly: {} }, 'timeZone: unknown time zone'],
    [{ timeZone: 'Europe/Moscow', weekly: { mon: ['9-18'] } }, 'weekly.mon.0: "9-18" is not a period'],
    [{ timeZone: 'Europe/Moscow', weekly: { mon: ['18:00-09:00'] } }, 'weekly.mon.0'],
    [{ timeZone: 'Europe/Moscow', weekly: { mon: ['09:00-09:00'] } }, 'weekly.mon.0'],
    [
      { timeZone: 'Europe/Moscow', weekly: { tue: ['09:00-13:00', '12:00-18:00'] } },
      'weekly.tue: periods overlap',
    ],
    [{ timeZone: 'Europe/Moscow', weekly: {}, holidays: ['2026-02-30'] }, 'holidays.0'],
    [
      { timeZone: 'Europe/Moscow', weekly: {}, specialDays: { '31.12.2026': ['09:00-14:00'] } },
      'specialDays',
    ],
  ] as const)('%j -> %s', (input, message) => {
    expect(() => parseWorkingHours(input as WorkingHoursInput)).toThrow(message);
  });

  it('accepts 24:00 as the end of a day', () => {
    const h = parseWorkingHours({ timeZone: 'Europe/Moscow', weekly: { mon: ['00:00-24:00'] } });
    expect(isOnShift(h, new Date('2026-11-23T20:59:00Z'))).toBe(true);
  });
});
