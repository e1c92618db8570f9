import { describe, expect, it } from 'vitest';
import { daysPeriod, periodProblem, presetPeriod, previousPeriod } from './period.js';

const iso = (p: { from: Date; to: Date }) => [p.from.toISOString(), p.to.toISOString()];

describe('analytics periods', () => {
  const now = new Date('2026-11-30T06:00:00Z'); // 09:00 in Moscow, 11:00 in Yekaterinburg

  it('presets are local days up to now; the previous period has the same length just before', () => {
    expect(iso(presetPeriod('today', now, 'Europe/Moscow'))).toEqual([
      '2026-11-29T21:00:00.000Z',
      '2026-11-30T06:00:00.000Z',
    ]);
    expect(iso(previousPeriod(presetPeriod('today', now, 'Europe/Moscow')))).toEqual([
      '2026-11-29T12:00:00.000Z',
      '2026-11-29T21:00:00.000Z',
    ]);
    expect(iso(presetPeriod('7d', now, 'Europe/Moscow'))).toEqual([
      '2026-11-23T21:00:00.000Z',
      '2026-11-30T06:00:00.000Z',
    ]);
    expect(iso(presetPeriod('30d', now, 'Asia/Yekaterinburg'))).toEqual([
      '2026-10-31T19:00:00.000Z',
      '2026-11-30T06:00:00.000Z',
    ]);
  });

  it('custom days include both ends, in the zone, also at UTC+12', () => {
    expect(iso(daysPeriod('2026-11-23', '2026-11-29', 'Europe/Moscow'))).toEqual([
      '2026-11-22T21:00:00.000Z',
      '2026-11-29T21:00:00.000Z',
    ]);
    expect(iso(daysPeriod('2026-11-30', '2026-11-30', 'Asia/Kamchatka'))).toEqual([
      '2026-11-29T12:00:00.000Z',
      '2026-11-30T12:00:00.000Z',
    ]);
  });

  it('refuses backwards, empty and over-long periods', () => {
    const d = (s: string) => new Date(s);
    expect(periodProblem({ from: d('2026-11-02'), to: d('2026-11-01') })).toMatch(/after/);
    expect(periodProblem({ from: d('2026-11-01'), to: d('2026-11-01') })).toMatch(/after/);
    expect(periodProblem({ from: d('2024-01-01'), to: d('2026-01-01') })).toMatch(/367 days/);
    expect(periodProblem({ from: d('nope'), to: d('2026-01-01') })).toBe('not a date');
    expect(periodProblem({ from: d('2025-12-01'), to: d('2026-11-30') })).toBeUndefined();
  });
});
