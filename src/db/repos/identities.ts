import type { Fragment } from 'postgres';
import type { IdentityKind } from '../../core/communication.js';
import type { Identity } from '../../identity/identity.js';
import type { Queryable as Sql } from '../queryable.js';

export interface IdentityRow {
  kind: IdentityKind;
  value: string;
  contactId: string;
  verified: boolean;
  source: string;
}

/** Every stored identity among `identities`, in one query (the hot path's lookup). */
export async function findIdentities(sql: Sql, identities: readonly Identity[]): Promise<IdentityRow[]> {
  if (identities.length === 0) return [];
  return sql<
    IdentityRow[]
  >`SELECT i.kind, i.value, i.contact_id, i.verified, i.source FROM ${stored(sql, identities)}`;
}

/** The stored rows `i` among `identities`: a FROM item joining the list to the unique (kind, value) index. */
const stored = (sql: Sql, identities: readonly Identity[]): Fragment => sql`
  identities i
  JOIN unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[]) AS q(kind, value)
    ON i.kind = q.kind AND i.value = q.value`;

/**
 * The contacts that own any of `identities`, as a subquery (a ContactSet) yielding `contact_id`, possibly more
 * than once: for statements issued before the daemon has read those identities.
 */
export function ownersOf(sql: Sql, identities: readonly Identity[]): Fragment {
  return sql`SELECT i.contact_id FROM ${stored(sql, identities)}`;
}

/** Adds identities in one statement; an identity already owned (by anyone) is left as it is. */
export async function addIdentities(
  sql: Sql,
  rows: readonly { contactId: string; identity: Identity; verified: boolean; source: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO identities (contact_id, kind, value, verified, source)
    SELECT contact_id, kind, value, verified, source
    FROM unnest(${rows.map((r) => r.contactId)}::uuid[], ${rows.map((r) => r.identity.kind)}::text[],
                ${rows.map((r) => r.identity.value)}::text[], ${rows.map((r) => String(r.verified))}::text[]::bool[],
                ${rows.map((r) => r.source)}::text[]) AS t(contact_id, kind, value, verified, source)
    ON CONFLICT (kind, value) DO NOTHING`;
}

export async function markVerified(sql: Sql, identities: readonly Identity[]): Promise<void> {
  if (identities.length === 0) return;
  await sql`
    UPDATE identities SET verified = true
    FROM unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[]) AS t(kind, value)
    WHERE identities.kind = t.kind AND identities.value = t.value`;
}

/** Re-labels where identities were learned (an address we wrote to first, now used by the client). */
export async function setSources(
  sql: Sql,
  rows: readonly { identity: Identity; source: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    UPDATE identities SET source = t.source
    FROM unnest(${rows.map((r) => r.identity.kind)}::text[], ${rows.map((r) => r.identity.value)}::text[],
                ${rows.map((r) => r.source)}::text[]) AS t(kind, value, source)
    WHERE identities.kind = t.kind AND identities.value = t.value`;
}
