import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Queryable as Sql } from '../db/queryable.js';
import { amongContacts, type ContactSet, noContacts } from '../db/repos/contacts.js';
import type { PhoneRegionResolver } from '../geo/index.js';
import { chooseInTeam, involvedManagers, lockTeams, type StickyCandidate } from './assign.js';
import { type ClientTypeFact, classifyClient } from './client-type.js';
import { type RegionFact, resolveRegion } from './region.js';
import type { PreparedRouter, Router, RoutingInput, RoutingTrace } from './router.js';
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
    async prepare(tx: Sql, batch: { contacts: ContactSet }): Promise<PreparedRouter> {
      // Every team and every manager a lead could go to: the batch does not know its teams before it has
      // read its contacts, and locking them all in the first round trip saves one. Few rows, taken in order.
      const teams = [...directory.teams.keys()];
      const managers = new Set<string>();
      for (const team of directory.teams.values())
        for (const login of involvedManagers(team, [])) managers.add(login);
      const locked = lockTeams(tx, teams, [...managers]);
      const loaded = routingReads(tx, batch.contacts);
      const [{ cursors, load }, { companies, sticky }] = await Promise.all([locked, loaded]);
      const stickyOf = (input: RoutingInput) => sticky.get(input.contact.id) ?? [];
      const teamOf = (input: RoutingInput) => {
        const company = input.contact.companyId ? (companies.get(input.contact.companyId) ?? null) : null;
        const f = facts(input, company);
        const team = directory.teams.get(f.match.team);
        // Config validation guarantees every rule names a team; a missing one is a bug, not bad input.
        if (!team) throw new Error(`routing rule ${f.match.rule} names unknown team ${f.match.team}`);
        return { f, team };
      };
      let moved = new Map<string, string>();

      return {
        route(input) {
          const { f, team } = teamOf(input);
          const now = deps.clock();
          const s = stickyOf(input);
          const { moveCursor, ...a } = chooseInTeam(directory, team, s, now, {
            lastManager: cursors.get(team.id) ?? null,
            load,
          });
          if (a.responsible) load.set(a.responsible, (load.get(a.responsible) ?? 0) + 1);
          if (moveCursor && a.responsible) {
            cursors.set(team.id, a.responsible);
            moved.set(team.id, a.responsible);
          }
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
        checkpoint() {
          const saved = { cursors: new Map(cursors), load: new Map(load), moved: new Map(moved) };
          return () => {
            cursors.clear();
            for (const [k, v] of saved.cursors) cursors.set(k, v);
            load.clear();
            for (const [k, v] of saved.load) load.set(k, v);
            moved = saved.moved;
          };
        },
        async flush(tx) {
          if (moved.size === 0) return;
          const rows = [...moved];
          await tx`
            UPDATE routing_team_state SET last_manager = v.manager, updated_at = ${deps.clock()}
            FROM unnest(${rows.map((r) => r[0])}::text[], ${rows.map((r) => r[1])}::text[]) AS v(team, manager)
            WHERE routing_team_state.team = v.team`;
        },
      };
    },
  };
}

/**
 * What routing reads of the batch's contacts, in one statement: their companies (the facts routing classifies
 * by) and their sticky managers.
 */
async function routingReads(
  tx: Sql,
  contacts: ContactSet,
): Promise<{ companies: Map<string, CompanyFacts>; sticky: Map<string, StickyCandidate[]> }> {
  if (noContacts(contacts)) return { companies: new Map(), sticky: new Map() };
  const rows = await tx<
    (StickyRow & {
      id: string;
      companyId: string | null;
      companyName: string | null;
      companyInn: string | null;
      companyRegion: string | null;
      companyClientType: string | null;
    })[]
  >`
    SELECT c.id, c.responsible AS contact, co.responsible AS company,
      (SELECT responsible FROM deals WHERE contact_id = c.id AND responsible IS NOT NULL
        ORDER BY updated_at DESC LIMIT 1) AS deal,
      (SELECT responsible FROM leads WHERE contact_id = c.id AND responsible IS NOT NULL
        ORDER BY created_at DESC LIMIT 1) AS lead,
      co.id AS company_id, co.name AS company_name, co.inn AS company_inn, co.region AS company_region,
      co.client_type AS company_client_type
    FROM contacts c LEFT JOIN companies co ON co.id = c.company_id WHERE ${amongContacts(tx, 'c.id', contacts)}`;
  const companies = new Map<string, CompanyFacts>();
  for (const r of rows)
    if (r.companyId)
      companies.set(r.companyId, {
        name: r.companyName,
        inn: r.companyInn,
        region: r.companyRegion,
        clientType: r.companyClientType,
        responsible: r.company,
      });
  return { companies, sticky: new Map(rows.map((row) => [row.id, stickyOfRow(row)])) };
}

/** The client's own managers, most specific first: contact, company, last deal, last lead. */
export async function stickyCandidates(tx: Sql, contactId: string): Promise<StickyCandidate[]> {
  return (await routingReads(tx, [contactId])).sticky.get(contactId) ?? [];
}

/** The managers a contact's row names, as routingReads reads them. */
interface StickyRow {
  contact: string | null;
  company: string | null;
  deal: string | null;
  lead: string | null;
}

function stickyOfRow(row: StickyRow): StickyCandidate[] {
  const sources: [string | null, string][] = [
    [row.contact, 'responsible of the contact'],
    [row.company, 'responsible of the company'],
    [row.deal, 'manager of the last deal'],
    [row.lead, 'manager of the last lead'],
  ];
  return sources.flatMap(([manager, source]) => (manager ? [{ manager, source }] : []));
}
