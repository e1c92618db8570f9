import { describe, expect, it } from 'vitest';
import { dueSteps, type SlaPolicy } from './rules.js';
import { parsePeriod, workingCalendar, workingWeekOf } from './working-calendar.js';

const H = 3_600_000;
const weekdays = ['09:00-13:00', '14:00-18:00'];
const yekaterinburg = workingCalendar(
  workingWeekOf({
    timeZone: 'Asia/Yekaterinburg', // UTC+5, two hours ahead of Moscow
    weekly: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays },
    holidays: ['2026-11-23'], // a Monday off
  }),
);
const utc = (iso: string) => new Date(`${iso}Z`);

describe('the working-hours SLA clock', () => {
  it.each([
    // Friday 17:00 local: one hour on Friday, the weekend and the Monday holiday skipped, one hour on Tuesday.
    ['2026-11-20T12:00:00', 2 * H, '2026-11-24T05:00:00'],
    // Saturday night: nothing counts until Tuesday 09:00 local.
    ['2026-11-21T18:30:00', 2 * H, '2026-11-24T06:00:00'],
    // The lunch break does not count: 12:00 local + 2 h = 15:00 local.
    ['2026-11-24T07:00:00', 2 * H, '2026-11-24T10:00:00'],
    // Exactly at closing time: the next morning.
    ['2026-11-24T13:00:00', 30 * 60_000, '2026-11-25T04:30:00'],
    ['2026-11-24T04:00:00', 0, '2026-11-24T04:00:00'],
  ])('from %s UTC, %d ms of working time end at %s UTC', (from, ms, to) => {
    expect(yekaterinburg.addTime(utc(from), ms)).toEqual(utc(to));
  });

  it('counts elapsed working time consistently with addTime', () => {
    const from = utc('2026-11-20T12:00:00');
    expect(yekaterinburg.elapsed(from, utc('2026-11-23T12:00:00'))).toBe(H); // Friday's hour only
    expect(yekaterinburg.elapsed(from, utc('2026-11-24T05:00:00'))).toBe(2 * H);
    expect(yekaterinburg.elapsed(from, utc('2026-11-25T13:00:00'))).toBe(H + 16 * H);
  });

  it('a lead of Friday evening breaches on Tuesday morning, not over the weekend or the holiday', () => {
    const policy: SlaPolicy = {
      thresholdMs: 2 * H,
      clock: 'working_hours',
      steps: [{ id: 'supervisor', afterMs: 2 * H, to: ['supervisor'], repeatEveryMs: 4 * H }],
    };
    const lead = { status: 'new', firstContactAt: utc('2026-11-20T12:00:00') };
    expect(dueSteps(policy, lead, utc('2026-11-23T12:00:00'), yekaterinburg)).toEqual([]);
    expect(dueSteps(policy, lead, new Date(utc('2026-11-24T05:00:00').getTime() - 1), yekaterinburg)).toEqual(
      [],
    );
    expect(dueSteps(policy, lead, utc('2026-11-24T05:00:00'), yekaterinburg)).toEqual([
      { stepId: 'supervisor', repeatNo: 0, dueAt: utc('2026-11-24T05:00:00') },
    ]);
    // The repeat 4 working hours later: 10:00 + 3 h + 1 h after lunch = 15:00 local.
    expect(dueSteps(policy, lead, utc('2026-11-24T10:00:00'), yekaterinburg)).toEqual([
      { stepId: 'supervisor', repeatNo: 1, dueAt: utc('2026-11-24T10:00:00') },
    ]);
  });

  it('follows the zone across a daylight-saving change', () => {
    const berlin = workingCalendar(
      workingWeekOf({
        timeZone: 'Europe/Berlin',
        weekly: { fri: ['09:00-18:00'], mon: ['09:00-18:00'] },
        holidays: [],
      }),
    );
    // Friday 17:00 CEST (UTC+2); clocks go back on Sunday; Monday 09:00 CET is 08:00 UTC.
    expect(berlin.addTime(utc('2026-10-23T15:00:00'), 2 * H)).toEqual(utc('2026-10-26T09:00:00'));
  });

  it('hours that never open never come', () => {
    const closed = workingCalendar({
      timeZone: 'Europe/Moscow',
      weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] },
      holidays: new Set(),
    });
    expect(closed.addTime(utc('2026-11-20T12:00:00'), H)).toBeUndefined();
  });

  it.each([
    ['09:00-18:00', [540, 1080]],
    ['00:00-24:00', [0, 1440]],
    ['18:00-09:00', undefined],
    ['9:00-18:00', undefined],
    ['09:00-24:30', undefined],
  ])('parses the period %s', (text, expected) => expect(parsePeriod(text)).toEqual(expected));
});
