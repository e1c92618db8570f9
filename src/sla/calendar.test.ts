import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { calendarsFromConfig, wallCalendar } from './calendar.js';
import { dueSteps, type SlaPolicy } from './rules.js';

const H = 3_600_000;
const weekdays = ['09:00-13:00', '14:00-18:00'];
const config = configSchema.parse({
  managers: [{ login: 'ivanov', name: 'Иван' }],
  teams: [
    {
      id: 'ural',
      name: 'Урал',
      members: ['ivanov'],
      timeZone: 'Asia/Yekaterinburg', // UTC+5, two hours ahead of Moscow
      hours: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
      holidays: ['2026-11-23'], // a Monday off
    },
    {
      id: 'berlin',
      name: 'Berlin',
      members: ['ivanov'],
      timeZone: 'Europe/Berlin',
      hours: { mon: ['09:00-18:00'], fri: ['09:00-18:00'] },
    },
    { id: 'always', name: 'Без расписания', members: ['ivanov'] },
  ],
  routing: { fallbackTeam: 'ural' },
});
const calendars = calendarsFromConfig(config);
const ural = calendars('ural', 'working_hours');
const utc = (iso: string) => new Date(`${iso}Z`);

describe('the working-hours SLA clock (the team hours routing uses)', () => {
  it.each([
    // Friday 17:00 local: one hour on Friday, the weekend and the Monday holiday skipped, one hour on Tuesday.
    ['2026-11-20T12:00:00', 2 * H, '2026-11-24T05:00:00'],
    // Saturday night: nothing counts until Tuesday 09:00 local.
    ['2026-11-21T18:30:00', 2 * H, '2026-11-24T06:00:00'],
    // The lunch break does not count: 12:00 local + 2 h = 15:00 local.
    ['2026-11-24T07:00:00', 2 * H, '2026-11-24T10:00:00'],
    // From closing time: the next morning.
    ['2026-11-24T13:00:00', 30 * 60_000, '2026-11-25T04:30:00'],
  ])('from %s UTC, %d ms of working time end at %s UTC', (from, ms, to) => {
    expect(ural.addTime(utc(from), ms)).toEqual(utc(to));
  });

  it('counts elapsed working time consistently with addTime', () => {
    const from = utc('2026-11-20T12:00:00');
    expect(ural.elapsed(from, utc('2026-11-23T12:00:00'))).toBe(H); // Friday's hour only
    expect(ural.elapsed(from, utc('2026-11-24T05:00:00'))).toBe(2 * H);
    expect(ural.elapsed(from, utc('2026-11-25T13:00:00'))).toBe(17 * H);
  });

  it('a lead of Friday evening breaches on Tuesday morning, not over the weekend or the holiday', () => {
    const policy: SlaPolicy = {
      thresholdMs: 2 * H,
      clock: 'working_hours',
      steps: [{ id: 'supervisor', afterMs: 2 * H, to: ['supervisor'], repeatEveryMs: 4 * H }],
    };
    const lead = { status: 'new', firstContactAt: utc('2026-11-20T12:00:00') };
    expect(dueSteps(policy, lead, utc('2026-11-23T12:00:00'), ural)).toEqual([]);
    expect(dueSteps(policy, lead, new Date(utc('2026-11-24T05:00:00').getTime() - 1), ural)).toEqual([]);
    expect(dueSteps(policy, lead, utc('2026-11-24T05:00:00'), ural)).toEqual([
      { stepId: 'supervisor', repeatNo: 0, dueAt: utc('2026-11-24T05:00:00') },
    ]);
    // The repeat 4 working hours later: 10:00 + 3 h, the lunch hour skipped, + 1 h = 15:00 local.
    expect(dueSteps(policy, lead, utc('2026-11-24T10:00:00'), ural)).toEqual([
      { stepId: 'supervisor', repeatNo: 1, dueAt: utc('2026-11-24T10:00:00') },
    ]);
  });

  it('follows the zone across a daylight-saving change', () => {
    // Friday 17:00 CEST (UTC+2); clocks go back on Sunday; Monday 09:00 CET is 08:00 UTC.
    expect(calendars('berlin', 'working_hours').addTime(utc('2026-10-23T15:00:00'), 2 * H)).toEqual(
      utc('2026-10-26T09:00:00'),
    );
  });

  it('the wall clock, a lead without a team and a team without hours count every hour', () => {
    const from = utc('2026-11-20T12:00:00');
    for (const c of [
      calendars('ural', 'wall'),
      calendars(null, 'working_hours'),
      calendars('always', 'working_hours'),
    ])
      expect(c.addTime(from, 50 * H)).toEqual(wallCalendar.addTime(from, 50 * H));
  });
});
