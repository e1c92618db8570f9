import type { Config } from '../config/schema.js';
import type { SlaConfig } from '../config/sla.js';
import type { SlaPolicy, SlaStep } from './rules.js';

const DEFAULT_THRESHOLD_MS = 2 * 3_600_000;

type PolicyConfig = SlaConfig['default'];

/**
 * The effective policy per team: the team's fields over `sla.default`, then built-in defaults (2 h, wall
 * clock, and a single step to the supervisor at the threshold).
 */
export function resolvePolicies(config: Pick<Config, 'sla' | 'teams'>) {
  const base = config.sla.default;
  const build = (own: PolicyConfig | undefined): SlaPolicy => {
    const thresholdMs = own?.threshold ?? base.threshold ?? DEFAULT_THRESHOLD_MS;
    const configured = own?.steps ?? base.steps;
    const steps: SlaStep[] = configured
      ? configured.map((s) => ({
          id: s.id,
          afterMs: s.after,
          to: s.to,
          ...(s.channels ? { channels: s.channels } : {}),
          ...(s.repeatEvery !== undefined ? { repeatEveryMs: s.repeatEvery } : {}),
          ...(s.maxRepeats !== undefined ? { maxRepeats: s.maxRepeats } : {}),
        }))
      : [{ id: 'supervisor', afterMs: thresholdMs, to: ['supervisor'] }];
    return { thresholdMs, clock: own?.clock ?? base.clock ?? 'wall', steps };
  };
  const fallback = build(undefined);
  const byTeam = new Map(config.teams.map((t) => [t.id, build(config.sla.teams[t.id])]));
  return {
    /** The policy of a team (a lead without a team, or of a removed team, gets the default). */
    policyFor: (team: string | null): SlaPolicy => (team ? byTeam.get(team) : undefined) ?? fallback,
    all: (): SlaPolicy[] => [fallback, ...byTeam.values()],
  };
}

export type SlaPolicies = ReturnType<typeof resolvePolicies>;
