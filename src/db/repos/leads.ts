import type { RoutingTrace } from '../../routing/router.js';
import type { Queryable as Sql } from '../queryable.js';

export type LeadStatus = 'new' | 'in_progress' | 'converted' | 'junk';
export const OPEN_LEAD_STATUSES: readonly LeadStatus[] = ['new', 'in_progress'];

export interface LeadRow {
  id: string;
  contactId: string;
  kind: 'new' | 'repeat';
  status: LeadStatus;
  channel: string;
  account: string;
  team: string | null;
  responsible: string | null;
  routing: RoutingTrace | null;
  firstContactAt: Date;
  takenAt: Date | null;
  closedAt: Date | null;
  dealId: string | null;
  /** A missed inbound call reached this lead and nobody has talked to the client since. */
  needsCallback: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const LEAD_COLUMNS = [
  'id',
  'contact_id',
  'kind',
  'status',
  'channel',
  'account',
  'team',
  'responsible',
  'routing',
  'first_contact_at',
  'taken_at',
  'closed_at',
  'deal_id',
  'needs_callback',
  'created_at',
  'updated_at',
];

export async function openLeadOf(
  sql: Sql,
  contactId: string,
): Promise<{ id: string; status: LeadStatus } | undefined> {
  const [row] = await sql<{ id: string; status: LeadStatus }[]>`
    SELECT id, status FROM leads WHERE contact_id = ${contactId} AND status IN ('new', 'in_progress') LIMIT 1`;
  return row;
}

/** The most recently updated active deal of the contact. */
export async function activeDealOf(
  sql: Sql,
  contactId: string,
): Promise<{ id: string; externalId: string; stage: string | null } | undefined> {
  const [row] = await sql<{ id: string; externalId: string; stage: string | null }[]>`
    SELECT id, external_id, stage FROM deals
    WHERE contact_id = ${contactId} AND status = 'active' ORDER BY updated_at DESC LIMIT 1`;
  return row;
}

export async function createLead(
  tx: Sql,
  l: {
    contactId: string;
    kind: 'new' | 'repeat';
    channel: string;
    account: string;
    team: string | null;
    responsible: string | null;
    routing: RoutingTrace;
    firstContactAt: Date;
    /** Set when routing left the lead in its team's queue (see src/routing/assigner.ts). */
    queuedAt?: Date | null;
  },
): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO leads (contact_id, kind, channel, account, team, responsible, routing, first_contact_at, queued_at)
    VALUES (${l.contactId}, ${l.kind}, ${l.channel}, ${l.account}, ${l.team}, ${l.responsible},
            ${tx.json(l.routing as never)}, ${l.firstContactAt}, ${l.queuedAt ?? null})
    RETURNING id`;
  return row!.id;
}

export async function getLead(
  sql: Sql,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<LeadRow | undefined> {
  const [row] = opts.forUpdate
    ? await sql<LeadRow[]>`SELECT ${sql(LEAD_COLUMNS)} FROM leads WHERE id = ${id} FOR UPDATE`
    : await sql<LeadRow[]>`SELECT ${sql(LEAD_COLUMNS)} FROM leads WHERE id = ${id}`;
  return row;
}
