import type { Identity } from '../../identity/identity.js';
import type { Queryable as Sql } from '../queryable.js';
import { CONTACT_COLUMNS, type ContactRow } from './contacts.js';
import { LEAD_COLUMNS, type LeadRow, type LeadStatus } from './leads.js';

export type ContactSummary = ContactRow;

/** Contacts owning any of the identities (one query; the "who is this number" lookup). */
export async function contactsByIdentities(
  sql: Sql,
  identities: readonly Identity[],
): Promise<ContactSummary[]> {
  if (identities.length === 0) return [];
  return sql<ContactSummary[]>`
    SELECT ${sql(CONTACT_COLUMNS.map((c) => `c.${c}`))} FROM contacts c
    WHERE c.id IN (
      SELECT i.contact_id FROM identities i
      JOIN unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[]) AS q(kind, value)
        ON i.kind = q.kind AND i.value = q.value)
    ORDER BY c.created_at`;
}

export async function contactDetails(sql: Sql, id: string) {
  const [contact] = await sql<
    ContactSummary[]
  >`SELECT ${sql(CONTACT_COLUMNS)} FROM contacts WHERE id = ${id}`;
  if (!contact) return undefined;
  const [company, identities, leads, deals, conversations, mergeSuggestions] = await Promise.all([
    contact.companyId
      ? sql`SELECT id, external_id, name, inn, region, client_type, responsible FROM companies WHERE id = ${contact.companyId}`.then(
          (r) => r[0] ?? null,
        )
      : Promise.resolve(null),
    // A Viber user who unsubscribed, a Telegram client who blocked the bot: the chat's state (messenger_chats,
    // keyed like the identity `<account>:<user id>`; a private chat's id is the user's) for the contact card.
    sql`SELECT i.kind, i.value, i.verified, i.source, i.created_at, mc.blocked_at AS chat_blocked_at,
               mc.blocked_reason AS chat_blocked_reason
        FROM identities i
        LEFT JOIN messenger_chats mc ON i.kind IN ('viber', 'telegram') AND mc.channel = i.kind
          AND mc.account = split_part(i.value, ':', 1) AND mc.chat_id = substr(i.value, strpos(i.value, ':') + 1)
        WHERE i.contact_id = ${id} ORDER BY i.created_at, i.kind, i.value`,
    sql`SELECT id, kind, status, channel, team, responsible, first_contact_at, created_at FROM leads
        WHERE contact_id = ${id} ORDER BY created_at DESC LIMIT 100`,
    sql`SELECT id, external_id, title, stage, status, responsible, updated_at FROM deals
        WHERE contact_id = ${id} ORDER BY updated_at DESC LIMIT 100`,
    sql`SELECT id, channel, account, thread_key, subject, lead_id, deal_id, last_message_at FROM conversations
        WHERE contact_id = ${id} ORDER BY last_message_at DESC LIMIT 100`,
    sql`SELECT id, other_contact_id, identity_kind, identity_value, reason, status, created_at FROM merge_suggestions
        WHERE (contact_id = ${id} OR other_contact_id = ${id}) AND status = 'open' ORDER BY created_at`,
  ]);
  return { ...contact, company, identities, leads, deals, conversations, mergeSuggestions };
}

export interface LeadFilter {
  status?: LeadStatus;
  since?: Date;
  team?: string;
  responsible?: string;
  /** Keyset cursor: leads created strictly before this (created_at, id). */
  before?: { createdAt: Date; id: string };
  limit: number;
}

export async function listLeads(sql: Sql, f: LeadFilter): Promise<LeadRow[]> {
  return sql<LeadRow[]>`
    SELECT ${sql(LEAD_COLUMNS)} FROM leads
    WHERE true
      ${f.status ? sql`AND status = ${f.status}` : sql``}
      ${f.since ? sql`AND created_at >= ${f.since}` : sql``}
      ${f.team ? sql`AND team = ${f.team}` : sql``}
      ${f.responsible ? sql`AND responsible = ${f.responsible}` : sql``}
      ${f.before ? sql`AND (created_at, id) < (${f.before.createdAt}, ${f.before.id})` : sql``}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit}`;
}

export async function leadMessages(sql: Sql, leadId: string) {
  return sql`
    SELECT id, conversation_id, kind, direction, channel, account, external_id, subject, body AS text, meta, occurred_at
    FROM messages WHERE lead_id = ${leadId} ORDER BY occurred_at, created_at LIMIT 500`;
}

export async function inboundEvents(sql: Sql, status: string | undefined, limit: number) {
  return sql`
    SELECT id, source, account, external_id, status, attempts, last_error, skipped, next_attempt_at, received_at, processed_at
    FROM inbound_events ${status ? sql`WHERE status = ${status}` : sql``}
    ORDER BY received_at DESC LIMIT ${limit}`;
}

/** An event that needs a person: failed (retried later), dead (given up) or rejected (unreadable). */
export interface ProblemEventRow {
  id: string;
  source: string;
  account: string | null;
  status: 'failed' | 'dead' | 'rejected';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  receivedAt: Date;
}

/**
 * Failed/dead/rejected events, newest first, a page at a time (keyset on received_at, id): metadata and the
 * reason only, never the payload (it can hold a client's message).
 */
export async function problemEvents(
  sql: Sql,
  f: { statuses: readonly string[]; before?: { receivedAt: Date; id: string }; limit: number },
): Promise<ProblemEventRow[]> {
  return sql<ProblemEventRow[]>`
    SELECT id, source, account, status, attempts, last_error, next_attempt_at, received_at
    FROM inbound_events WHERE status IN ${sql(f.statuses)}
      ${f.before ? sql`AND (received_at, id) < (${f.before.receivedAt}, ${f.before.id})` : sql``}
    ORDER BY received_at DESC, id DESC LIMIT ${f.limit}`;
}

/** Counts of the events that need a person, by status. */
export async function problemEventCounts(sql: Sql): Promise<Record<'failed' | 'dead' | 'rejected', number>> {
  const rows = await sql<{ status: 'failed' | 'dead' | 'rejected'; n: number }[]>`
    SELECT status, count(*)::int AS n FROM inbound_events
    WHERE status IN ('failed', 'dead', 'rejected') GROUP BY status`;
  const out = { failed: 0, dead: 0, rejected: 0 };
  for (const r of rows) out[r.status] = r.n;
  return out;
}

/** One stored event with its payload (the decoded JSON) and the raw bytes' size: for administrators. */
export async function inboundEventDetail(sql: Sql, id: string) {
  const [row] = await sql<
    (ProblemEventRow & {
      externalId: string | null;
      contentType: string;
      payload: unknown;
      rawBytes: number | null;
      processedAt: Date | null;
    })[]
  >`
    SELECT id, source, account, external_id, status, attempts, last_error, next_attempt_at, received_at,
           processed_at, content_type, payload, octet_length(raw) AS raw_bytes
    FROM inbound_events WHERE id = ${id}`;
  return row;
}
