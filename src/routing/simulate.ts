import type { Sql } from 'postgres';
import { type ClientTypesConfig, checkRouting, type RoutingRule } from '../config/routing.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { InboundCommunication } from '../core/communication.js';
import { ValidationError } from '../core/errors.js';
import type { InboundSource } from '../core/normalize.js';
import { getLead } from '../db/repos/leads.js';
import { createPhoneRegionResolver, type PhoneRegionResolver } from '../geo/index.js';
import type { IdentityPolicy } from '../identity/identity.js';
import { applyLeadRules } from './lead-rules.js';
import { normalizeParty } from './resolve-contact.js';
import { createRuleRouter } from './rule-router.js';

/** A proposed change to the routing settings; absent parts keep the running config. */
export interface ProposedRouting {
  rules?: RoutingRule[];
  clientTypes?: ClientTypesConfig;
  fallbackTeam?: string;
}

export interface SimulatorDeps {
  sql: Sql;
  config: Config;
  policy: IdentityPolicy;
  clock: Clock;
  phoneRegions: () => PhoneRegionResolver;
  /** The channel owning a stored event's source: re-normalizes the lead's first message. */
  sources: (name: string) => InboundSource | undefined;
}

/**
 * The simulator's dependencies from the app's: the resolver in use (area codes only without one) and the
 * channel list as event sources. `POST /api/v1/routing/simulate` and the admin page build it the same way.
 */
export function simulatorDeps(deps: {
  sql: Sql;
  config: Config;
  policy: IdentityPolicy;
  clock: Clock;
  phoneRegions?: (() => PhoneRegionResolver) | undefined;
  channels: readonly (InboundSource & { name: string })[];
}): SimulatorDeps {
  const resolver = deps.phoneRegions ?? (() => areaCodesOnly);
  return {
    sql: deps.sql,
    config: deps.config,
    policy: deps.policy,
    clock: deps.clock,
    phoneRegions: resolver,
    sources: (name) => deps.channels.find((ch) => ch.name === name),
  };
}
const areaCodesOnly = createPhoneRegionResolver();

class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('simulation rollback');
  }
}

/** The running config with the proposal applied, validated like the config file (unknown team, region…). */
export function proposedConfig(config: Config, proposal: ProposedRouting): Config {
  const routing = {
    ...config.routing,
    ...(proposal.rules ? { rules: proposal.rules } : {}),
    ...(proposal.clientTypes ? { clientTypes: proposal.clientTypes } : {}),
    ...(proposal.fallbackTeam ? { fallbackTeam: proposal.fallbackTeam } : {}),
  };
  const next = { ...config, routing };
  const issues = checkRouting(next);
  if (!next.teams.some((t) => t.id === routing.fallbackTeam))
    issues.push({ path: ['routing', 'fallbackTeam'], message: `unknown team "${routing.fallbackTeam}"` });
  if (issues.length > 0) {
    const list = issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
    throw new ValidationError(`${list[0]!.field}: ${list[0]!.message}`, list);
  }
  return next;
}

/**
 * Dry run of one communication through the whole pipeline (contact resolution, lead rules, routing with
 * live loads and shifts) inside a transaction that is always rolled back: nothing is written, round-robin
 * cursors do not move.
 */
export async function simulateCommunication(
  deps: SimulatorDeps,
  comm: InboundCommunication,
  proposal: ProposedRouting,
) {
  const config = proposedConfig(deps.config, proposal);
  const router = createRuleRouter({ config, phoneRegions: deps.phoneRegions, clock: deps.clock });
  // A thread created at that moment by the pipeline makes the rules' write a serialization failure
  // (upsertConversations): the dry run is simply run again, as the pipeline does.
  for (let attempt = 1; ; attempt++) {
    try {
      return await simulateOnce(deps, comm, router);
    } catch (err) {
      if ((err as { code?: string }).code === '40001' && attempt < 3) continue;
      throw err;
    }
  }
}

async function simulateOnce(
  deps: SimulatorDeps,
  comm: InboundCommunication,
  router: ReturnType<typeof createRuleRouter>,
) {
  try {
    await deps.sql.begin(async (tx) => {
      const decision = await applyLeadRules(tx, comm, { policy: deps.policy, router, clock: deps.clock });
      const lead = decision.leadId ? await getLead(tx, decision.leadId) : undefined;
      throw new Rollback({
        decision: { kind: decision.kind, rule: decision.rule, reason: decision.reason },
        routed: decision.kind === 'new_lead' || decision.kind === 'repeat_lead',
        team: lead?.team ?? null,
        responsible: lead?.responsible ?? null,
        queued: lead ? lead.routing?.queued !== undefined : false,
        routing: lead?.routing ?? null,
      });
    });
  } catch (err) {
    if (err instanceof Rollback) return { mode: 'communication' as const, written: false, ...err.value };
    throw err;
  }
  throw new Error('simulation did not roll back');
}

interface ReplayRow {
  id: string;
  team: string | null;
  responsible: string | null;
  routing: { rule?: string } | null;
  kind: 'new' | 'repeat';
  channel: string;
  account: string;
  contactId: string;
  contactResponsible: string | null;
  contactRegion: string | null;
  contactClientType: string | null;
  companyId: string | null;
  companyName: string | null;
  companyInn: string | null;
  companyRegion: string | null;
  companyClientType: string | null;
  companyResponsible: string | null;
  eventSource: string | null;
  payload: unknown;
  raw: Uint8Array | null;
  externalId: string | null;
  createdAt: Date;
}

/**
 * Replays the leads created in the last `days` against the proposal: each lead's first message is rebuilt
 * from its stored raw event (exactly what the pipeline saw) and classified with today's contact and company
 * data. Returns the team and rule each lead would get now next to what it got. Read-only. Manager choice is
 * not replayed: it depends on loads and shifts at the time.
 */
export async function simulateRecentLeads(
  deps: SimulatorDeps,
  days: number,
  limit: number,
  proposal: ProposedRouting,
) {
  const config = proposedConfig(deps.config, proposal);
  const router = createRuleRouter({ config, phoneRegions: deps.phoneRegions, clock: deps.clock });
  const since = new Date(deps.clock().getTime() - days * 86_400_000);
  const rows = await deps.sql<ReplayRow[]>`
    SELECT l.id, l.team, l.responsible, l.routing, l.kind, l.channel, l.account, l.contact_id, l.created_at,
      c.responsible AS contact_responsible, c.region AS contact_region, c.client_type AS contact_client_type,
      c.company_id, co.name AS company_name, co.inn AS company_inn, co.region AS company_region,
      co.client_type AS company_client_type, co.responsible AS company_responsible,
      e.source AS event_source, e.payload, e.raw, m.external_id
    FROM leads l
    JOIN contacts c ON c.id = l.contact_id
    LEFT JOIN companies co ON co.id = c.company_id
    LEFT JOIN LATERAL (SELECT inbound_event_id, external_id FROM messages
      WHERE lead_id = l.id AND direction = 'in' ORDER BY occurred_at, created_at LIMIT 1) m ON true
    LEFT JOIN inbound_events e ON e.id = m.inbound_event_id
    WHERE l.created_at >= ${since}
    ORDER BY l.created_at DESC, l.id DESC LIMIT ${limit}`;

  // Normalization may be async (email parses MIME): every original communication first, in row order.
  const originals = await Promise.all(rows.map((r) => originalCommunication(deps.sources, r)));
  const leads = rows.map((r, i) => {
    const comm = originals[i];
    const party = comm ? normalizeParty(comm.party, deps.policy) : undefined;
    const f = router.facts(
      {
        leadKind: r.kind,
        channel: r.channel as InboundCommunication['channel'],
        account: r.account,
        contact: {
          id: r.contactId,
          responsible: r.contactResponsible,
          region: r.contactRegion,
          clientType: r.contactClientType,
          companyId: r.companyId,
        },
        identities: party?.own ?? [],
        ...(comm?.subject !== undefined ? { subject: comm.subject } : {}),
        ...(comm?.text !== undefined ? { text: comm.text } : {}),
        signals: comm?.signals ?? {},
        now: r.createdAt,
      },
      r.companyId
        ? {
            name: r.companyName,
            inn: r.companyInn,
            region: r.companyRegion,
            clientType: r.companyClientType,
            responsible: r.companyResponsible,
          }
        : null,
    );
    return {
      leadId: r.id,
      createdAt: r.createdAt,
      current: { team: r.team, rule: r.routing?.rule ?? null, responsible: r.responsible },
      proposed: { team: f.match.team, rule: f.match.rule, why: f.match.why },
      changed: r.team !== f.match.team,
      facts: { clientType: f.clientType, region: f.region },
      ...(comm ? {} : { note: 'original message not found: classified without its text and signals' }),
    };
  });
  const count = (pick: (l: (typeof leads)[number]) => string | null) => {
    const out: Record<string, number> = {};
    for (const l of leads) {
      const key = pick(l) ?? '(none)';
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };
  return {
    mode: 'recent_leads' as const,
    written: false,
    since: since.toISOString(),
    total: leads.length,
    changed: leads.filter((l) => l.changed).length,
    byTeam: { current: count((l) => l.current.team), proposed: count((l) => l.proposed.team) },
    leads,
  };
}

async function originalCommunication(
  sources: SimulatorDeps['sources'],
  r: ReplayRow,
): Promise<InboundCommunication | undefined> {
  const source = r.eventSource ? sources(r.eventSource) : undefined;
  if (!source) return undefined;
  const normalized = await source.normalize(r.payload, r.raw ?? undefined);
  if (!normalized.ok) return undefined;
  return normalized.communications.find((c) => c.externalId === r.externalId);
}
