import type { RoutingRule } from '../config/routing.js';
import type { ChannelKind } from '../core/communication.js';
import { type FederalDistrictCode, isMacroTerritoryId, type RegionId, regionCodesOf } from '../geo/index.js';

/** The facts a routing rule matches on. */
export interface RuleFacts {
  clientType: string;
  region: RegionId | null;
  federalDistrict: FederalDistrictCode | null;
  channel: ChannelKind;
  leadKind: 'new' | 'repeat';
}

/** The rule that picked the team (`fallback` when none matched) and why. */
export interface RuleMatch {
  rule: string;
  team: string;
  why: string;
}

/**
 * The first rule whose conditions all hold picks the team; otherwise the fallback team. Region conditions:
 * a subject fact matches a rule listing that subject or a macro-territory containing it; a macro-territory
 * fact (a joint phone range) matches only rules listing that macro-territory, since it cannot be split.
 * Pure.
 */
export function matchRule(rules: readonly RoutingRule[], facts: RuleFacts, fallbackTeam: string): RuleMatch {
  for (const rule of rules) {
    const why = ruleHolds(rule, facts);
    if (why !== undefined) return { rule: rule.id, team: rule.team, why };
  }
  return { rule: 'fallback', team: fallbackTeam, why: 'no rule matched: the fallback team' };
}

function ruleHolds(rule: RoutingRule, f: RuleFacts): string | undefined {
  const w = rule.when;
  const reasons: string[] = [];
  if (w.clientTypes) {
    if (!w.clientTypes.includes(f.clientType)) return undefined;
    reasons.push(`client type ${f.clientType}`);
  }
  if (w.regionKnown !== undefined) {
    if (w.regionKnown !== (f.region !== null)) return undefined;
    reasons.push(f.region ? 'region known' : 'region unknown');
  }
  if (w.regions) {
    if (!f.region || !regionMatches(w.regions, f.region)) return undefined;
    reasons.push(`region ${f.region}`);
  }
  if (w.federalDistricts) {
    if (!f.federalDistrict || !w.federalDistricts.includes(f.federalDistrict)) return undefined;
    reasons.push(`federal district ${f.federalDistrict}`);
  }
  if (w.channels) {
    if (!w.channels.includes(f.channel)) return undefined;
    reasons.push(`channel ${f.channel}`);
  }
  if (w.leadKinds) {
    if (!w.leadKinds.includes(f.leadKind)) return undefined;
    reasons.push(`${f.leadKind} lead`);
  }
  return reasons.length > 0 ? reasons.join(', ') : 'matches every lead';
}

function regionMatches(listed: readonly string[], region: RegionId): boolean {
  if (listed.includes(region)) return true;
  if (isMacroTerritoryId(region)) return false;
  return listed.some((id) => isMacroTerritoryId(id) && regionCodesOf(id).includes(region as never));
}
