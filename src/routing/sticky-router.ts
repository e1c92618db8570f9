import type { Config } from '../config/schema.js';
import type { Queryable as Sql } from '../db/queryable.js';
import type { Router, RoutingInput, RoutingResult, RoutingTrace } from './router.js';

/**
 * The baseline router: a lead goes to the client's responsible manager (from the contact, else its
 * company) when that manager is active, into the manager's team; otherwise unassigned into the fallback
 * team's queue. Client-type / region rules and fair assignment plug in behind the same Router interface.
 */
export function createStickyRouter(config: Pick<Config, 'managers' | 'teams' | 'routing'>): Router {
  const active = new Set(config.managers.filter((m) => m.active).map((m) => m.login));
  const teamOf = new Map<string, string>();
  for (const t of config.teams) for (const m of t.members) if (!teamOf.has(m)) teamOf.set(m, t.id);

  return {
    async route(tx: Sql, input: RoutingInput): Promise<RoutingResult> {
      const candidates: RoutingTrace['candidates'] = [];
      const sources: [string, string | null][] = [['contact', input.contact.responsible]];
      if (input.contact.companyId) {
        const [company] = await tx<{ responsible: string | null }[]>`
          SELECT responsible FROM companies WHERE id = ${input.contact.companyId}`;
        sources.push(['company', company?.responsible ?? null]);
      }
      for (const [source, login] of sources) {
        if (!login) continue;
        if (!active.has(login)) {
          candidates.push({
            manager: login,
            outcome: 'skipped',
            why: `responsible of the ${source}, not an active manager`,
          });
          continue;
        }
        const team = teamOf.get(login) ?? config.routing.fallbackTeam;
        candidates.push({ manager: login, outcome: 'chosen', why: `responsible of the ${source}` });
        return { team, responsible: login, trace: trace(input, 'sticky_responsible', candidates, login) };
      }
      return {
        team: config.routing.fallbackTeam,
        responsible: null,
        trace: trace(input, 'fallback_team_queue', candidates, null),
      };
    },
  };
}

function trace(
  input: RoutingInput,
  rule: string,
  candidates: RoutingTrace['candidates'],
  chosen: string | null,
): RoutingTrace {
  return {
    router: 'sticky',
    facts: {
      leadKind: input.leadKind,
      channel: input.channel,
      clientType: input.signals.clientType ?? input.contact.clientType,
      region: input.signals.region ?? input.contact.region,
    },
    rule,
    candidates,
    chosen,
  };
}
