import { describe, expect, it } from 'vitest';
import { resolvePolicies } from '../sla/policy.js';
import { parseConfig } from './load.js';

const base = `
teams: [{ id: sales, name: Продажи, supervisor: boss, members: [ivanov] }, { id: b2b, name: Опт, members: [ivanov] }]
managers: [{ login: ivanov, name: Иван }, { login: boss, name: Анна }]
routing: { fallbackTeam: sales }
`;
const H = 3_600_000;

describe('sla configuration', () => {
  it('defaults to the reference rule: the supervisor at 2 h on the wall clock, in-app only', () => {
    const cfg = parseConfig(base, {});
    expect(cfg.sla).toMatchObject({
      enabled: true,
      timeZone: 'Europe/Moscow',
      channels: { inapp: { enabled: true } },
      scanner: { lease: 5 * 60_000, retryBase: 30_000, retryMax: H, lookback: 14 * 24 * H, maxAttempts: 8 },
    });
    expect(resolvePolicies(cfg).policyFor('sales')).toEqual({
      thresholdMs: 2 * H,
      clock: 'wall',
      steps: [{ id: 'supervisor', afterMs: 2 * H, to: ['supervisor'] }],
    });
  });

  it('a team overrides the default field by field; a lead without a team gets the default', () => {
    const cfg = parseConfig(
      `${base}
sla:
  default: { threshold: 3h, steps: [{ id: sup, after: 3h, to: [supervisor], repeatEvery: 1h, maxRepeats: 2 }] }
  teams:
    b2b: { threshold: 1h }
`,
      {},
    );
    const p = resolvePolicies(cfg);
    expect(p.policyFor(null)).toEqual({
      thresholdMs: 3 * H,
      clock: 'wall',
      steps: [{ id: 'sup', afterMs: 3 * H, to: ['supervisor'], repeatEveryMs: H, maxRepeats: 2 }],
    });
    expect(p.policyFor('b2b').thresholdMs).toBe(H);
    expect(p.policyFor('b2b').steps).toEqual(p.policyFor(null).steps);
    expect(p.policyFor('gone')).toEqual(p.policyFor(null));
  });

  it.each([
    ['sla: { default: { threshold: 2 hours } }', /sla\.default\.threshold: "2 hours" is not a duration/],
    ['sla: { teams: { nope: { threshold: 1h } } }', /sla\.teams\.nope: unknown team "nope"/],
    [
      'sla: { default: { steps: [{ id: x, after: 1h, to: ["manager:ghost"] }] } }',
      /sla\.default\.steps\.0\.to\.0: unknown manager "ghost"/,
    ],
    ['sla: { default: { steps: [{ id: x, after: 1h, to: [everyone] }] } }', /sla\.default\.steps\.0\.to\.0/],
    [
      'sla: { default: { steps: [{ id: x, after: 1h, to: [supervisor], channels: [telegram] }] } }',
      /sla\.default\.steps\.0\.channels: channel "telegram" is not configured/,
    ],
    [
      'sla: { default: { steps: [{ id: x, after: 1h, to: [supervisor] }, { id: x, after: 2h, to: [supervisor] }] } }',
      /sla\.default\.steps\.1\.id: duplicate step "x"/,
    ],
    [
      'sla: { default: { steps: [{ id: x, after: 1h, to: [supervisor], maxRepeats: 2 }] } }',
      /maxRepeats needs repeatEvery/,
    ],
    [
      'sla: { channels: { webhook: { url: "http://h/x", secret: short } } }',
      /sla\.channels\.webhook\.secret/,
    ],
    ['sla: { timeZone: Mars/Olympus }', /sla\.timeZone: unknown time zone/],
    [
      'sla: { default: { clock: working_hours } }',
      /teams\.0\.hours: team "sales" counts SLA time in working hours: give its hours/,
    ],
    ['sla: { workingHours: {} }', /sla.workingHours: unknown setting "workingHours"/],
    [
      'sla: { scanner: { lease: 10s }, channels: { webhook: { url: "http://h/x", secret: webhook-secret-0123456789 } } }',
      /sla\.scanner\.lease: must be at least twice the slowest channel timeout \(10000 ms\)/,
    ],
  ])('refuses %s', (yaml, message) => {
    expect(() => parseConfig(`${base}\n${yaml}`, {})).toThrow(message);
  });
});
