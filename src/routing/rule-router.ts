import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Queryable as Sql } from '../db/queryable.js';
import type { PhoneRegionResolver } from '../geo/index.js';
import { assignInTeam, type StickyCandidate } from './assign.js';
import { type ClientTypeFact, classifyClient } from './client-type.js';
import { type RegionFact, resolveRegion } from './region.js';
import type { Router, RoutingInput, RoutingResult, RoutingTrace } from './router.js';
import { matchRule, type RuleMatch } from './rules.js';
import { buildTeamDirectory } from './teams.js';

export interface RuleRouterDeps {
  config: Pick<Config, 'managers' | 'teams' | 'routing'>;
  /** The current phone-region resolver; a function so a reloaded numbering plan takes effect at once. */
  phoneRegions: () => PhoneRegionResolver;
  /** Shift and capacity are judged at this time (when the decision is taken), not when the client wrote. */
  clock: Clock;
}

/** What the router concluded before assignment: the facts and the team. Pure data, used by the simulator. */
export interface RoutingFacts {
  clientType: ClientTypeFact;
  region: RegionFact;
  match: RuleMatch;
}

/** The company row routing reads. */
interface CompanyFacts {
  name: string | null;
  inn: string | null;
  region: string | null;
  clientType: string | null;
  responsible: string | null;
}

/**
 * The production router: client type and region -> the first matching rule's team -> a manager in that team
 * (sticky, then round-robin / least-loaded among members on shift under capacity, else on-call or the
 * team queue). Every decision carries a trace of the facts, the rule and each candidate.
 */
export function createRuleRouter(deps: RuleRouterDeps): Router & {
  facts(input: RoutingInput, company: CompanyFacts | null): RoutingFacts;
} {
  const { config } = deps;
  const directory = buildTeamDirectory(config);

  function facts(input: RoutingInput, company: CompanyFacts | null): RoutingFacts {
    const identities = input.identities ?? [];
    const clientType = classifyClient(config.routing.clientTypes, {
      channel: input.channel,
      account: input.account,
      contactType: input.contact.clientType,
      companyType: company?.clientType ?? null,
      formType: input.signals.clientType,
      company: company ? { name: company.name, inn: company.inn } : null,
      emailDomains: identities.filter((i) => i.kind === 'email').map((i) => i.value.split('@')[1] ?? ''),
      text: [input.subject, input.text].filter(Boolean).join('\n'),
    });
    const region = resolveRegion(
      {
        contactRegion: input.contact.region,
        companyRegion: company?.region ?? null,
        formRegion: input.signals.region,
        phones: identities.filter((i) => i.kind === 'phone').map((i) => i.value),
        regionHint: input.signals.regionHint,
        city: input.signals.city,
        companyInn: company?.inn ?? null,
      },
      deps.phoneRegions(),
    );
    const match = matchRule(
      config.routing.rules,
      {
        clientType: clientType.type,
        region: region.region,
        federalDistrict: region.federalDistrict,
        channel: input.channel,
        leadKind: input.leadKind,
      },
      config.routing.fallbackTeam,
    );
    return { clientType, region, match };
  }

  return {
    facts,
    async route(tx: Sql, input: RoutingInput): Promise<RoutingResult> {
      // Both reads in one round trip (pipelined on the transaction's connection).
      const [companyRows, sticky] = await Promise.all([
        input.contact.companyId
          ? tx<CompanyFacts[]>`
              SELECT name, inn, region, client_type, responsible FROM companies WHERE id = ${input.contact.companyId}`
          : Promise.resolve([] as CompanyFacts[]),
        stickyCandidates(tx, input.contact.id),
      ]);
      const f = facts(input, companyRows[0] ?? null);
      const team = directory.teams.get(f.match.team);
      // Config validation guarantees every rule names a team; a missing one is a bug, not bad input.
      if (!team) throw new Error(`routing rule ${f.match.rule} names unknown team ${f.match.team}`);
      const now = deps.clock();
      const a = await assignInTeam(tx, directory, team, sticky, now);
      const trace: RoutingTrace = {
        router: 'rules',
        facts: {
          leadKind: input.leadKind,
          channel: input.channel,
          account: input.account,
          clientType: f.clientType,
          region: f.region,
          ruleWhy: f.match.why,
        },
        rule: f.match.rule,
        team: team.id,
        strategy: a.strategy,
        decidedAt: now.toISOString(),
        candidates: a.candidates,
        chosen: a.responsible,
        ...(a.queued ? { queued: a.queued } : {}),
      };
      return { team: team.id, responsible: a.responsible, trace, ...(a.queued ? { queued: true } : {}) };
    },
  };
}

/** The client's own managers, most specific first: contact, company, last deal, last lead. */
export async function stickyCandidates(tx: Sql, contactId: string): Promise<StickyCandidate[]> {
  const [row] = await tx<
    { contact: string | null; company: string | null; deal: string | null; lead: string | null }[]
  >`
    SELECT c.responsible AS contact, co.responsible AS company,
      (SELECT responsible FROM deals WHERE contact_id = c.id AND responsible IS NOT NULL
        ORDER BY updated_at DESC LIMIT 1) AS deal,
      (SELECT responsible FROM leads WHERE contact_id = c.id AND responsible IS NOT NULL
        ORDER BY created_at DESC LIMIT 1) AS lead
    FROM contacts c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = ${contactId}`;
  if (!row) return [];
  const sources: [string | null, string][] = [
    [row.contact, 'responsible of the contact'],
    [row.company, 'responsible of the company'],
    [row.deal, 'manager of the last deal'],
    [row.lead, 'manager of the last lead'],
  ];
  return sources.flatMap(([manager, source]) => (manager ? [{ manager, source }] : []));
}
