import { describe, expect, it } from 'vitest';
import { type SlaCalendar, wallCalendar } from './calendar.js';
import { breachAt, dueSteps, earliestStepMs, type SlaPolicy } from './rules.js';

const H = 3_600_000;
const M = 60_000;
const start = new Date('2026-11-20T09:00:00Z');
const at = (ms: number) => new Date(start.getTime() + ms);
const lead = (status = 'new') => ({ status, firstContactAt: start });

const ladder: SlaPolicy = {
  thresholdMs: 2 * H,
  clock: 'wall',
  steps: [
    { id: 'remind', afterMs: 90 * M, to: ['assignee'] },
    { id: 'supervisor', afterMs: 2 * H, to: ['supervisor'] },
    { id: 'head', afterMs: 4 * H, to: ['manager:head'], repeatEveryMs: 2 * H, maxRepeats: 3 },
  ],
};

describe('dueSteps', () => {
  it.each([
    [89 * M, []],
    [90 * M, ['remind#0']],
    [2 * H - 1, ['remind#0']],
    [2 * H, ['remind#0', 'supervisor#0']],
    [4 * H - 1, ['remind#0', 'supervisor#0']],
    [4 * H, ['remind#0', 'supervisor#0', 'head#0']],
    [6 * H - 1, ['remind#0', 'supervisor#0', 'head#0']],
    [6 * H, ['remind#0', 'supervisor#0', 'head#1']],
    [9 * H, ['remind#0', 'supervisor#0', 'head#2']],
    // maxRepeats 3: the fourth repeat never comes
    [100 * H, ['remind#0', 'supervisor#0', 'head#3']],
  ])('at +%d ms the due occurrences are %j', (ms, expected) => {
    expect(dueSteps(ladder, lead(), at(ms), wallCalendar).map((d) => `${d.stepId}#${d.repeatNo}`)).toEqual(
      expected,
    );
  });

  it('gives the exact instant each occurrence became due', () => {
    const due = dueSteps(ladder, lead(), at(9 * H), wallCalendar);
    expect(due.find((d) => d.stepId === 'head')).toEqual({ stepId: 'head', repeatNo: 2, dueAt: at(8 * H) });
    expect(due.find((d) => d.stepId === 'supervisor')?.dueAt).toEqual(at(2 * H));
  });

  it.each(['in_progress', 'converted', 'junk'])('a lead that left new (%s) has nothing due', (status) => {
    expect(dueSteps(ladder, lead(status), at(100 * H), wallCalendar)).toEqual([]);
  });

  it('repeats without a limit continue until handled', () => {
    const policy: SlaPolicy = {
      ...ladder,
      steps: [{ id: 's', afterMs: 2 * H, to: ['supervisor'], repeatEveryMs: H }],
    };
    expect(dueSteps(policy, lead(), at(50 * H + 30 * M), wallCalendar)).toEqual([
      { stepId: 's', repeatNo: 48, dueAt: at(50 * H) },
    ]);
  });

  it('counts on the calendar it is given (only counted time moves a step)', () => {
    // A calendar where time counts at half speed: 2 h counted = 4 h wall.
    const slow: SlaCalendar = {
      addTime: (s, ms) => new Date(s.getTime() + 2 * ms),
      elapsed: (f, t) => Math.max(0, (t.getTime() - f.getTime()) / 2),
    };
    const policy: SlaPolicy = {
      ...ladder,
      steps: [{ id: 's', afterMs: 2 * H, to: ['supervisor'], repeatEveryMs: H }],
    };
    expect(dueSteps(policy, lead(), at(4 * H - 1), slow)).toEqual([]);
    expect(dueSteps(policy, lead(), at(4 * H), slow)).toEqual([
      { stepId: 's', repeatNo: 0, dueAt: at(4 * H) },
    ]);
    expect(dueSteps(policy, lead(), at(7 * H), slow)).toEqual([
      { stepId: 's', repeatNo: 1, dueAt: at(6 * H) },
    ]);
  });

  it('a calendar that never opens makes nothing due', () => {
    const closed: SlaCalendar = { addTime: () => undefined, elapsed: () => 0 };
    expect(dueSteps(ladder, lead(), at(1000 * H), closed)).toEqual([]);
  });
});

describe('breachAt and earliestStepMs', () => {
  it('the breach is the threshold on the calendar', () => {
    expect(breachAt(ladder, start, wallCalendar)).toEqual(at(2 * H));
  });
  it('the earliest step over all policies bounds the scan', () => {
    expect(
      earliestStepMs([ladder, { ...ladder, steps: [{ id: 'x', afterMs: 30 * M, to: ['assignee'] }] }]),
    ).toBe(30 * M);
  });
});
