import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { lockNames } from '../db/locks.js';
import { audit } from '../db/repos/audit.js';
import { CONTACT_COLUMNS } from '../db/repos/contacts.js';
import { type Identity, identityKey } from '../identity/identity.js';
import { type MergeSnapshot, MOVED_TABLES } from './merge-contacts.js';

export interface UndoResult {
  mergeId: string;
  contactId: string;
  restoredContactId: string;
}

/**
 * Undoes a merge a person made: the merged-away contact comes back with its own id, and the identities,
 * conversations, messages, deals, leads and calls that moved go back to it; the target's fields, the duplicate
 * lead the merge closed and the suggestions it touched are as they were. What happened since the merge stays
 * where it happened (a new message of the kept contact stays on it).
 */
export async function undoMerge(
  sql: Sql,
  mergeId: string,
  ctx: { actor: string; clock: Clock },
): Promise<UndoResult> {
  return sql.begin(async (tx) => {
    const [m] = await tx<
      { targetId: string; sourceId: string; snapshot: MergeSnapshot; undoneAt: Date | null }[]
    >`
      SELECT target_id, source_id, snapshot, undone_at FROM contact_merges WHERE id = ${mergeId} FOR UPDATE`;
    if (!m) throw new NotFoundError('merge');
    if (m.undoneAt) throw new ConflictError('this merge is already undone');
    const s = m.snapshot;
    // The same lock order as the lead rules and the merge: identities (advisory), then the contact row.
    const identities = await tx<{ kind: string; value: string }[]>`
      SELECT kind, value FROM identities WHERE contact_id = ${m.targetId}`;
    await lockNames(
      tx,
      identities.map((i) => identityKey(i as Identity)),
    );
    const [target] = await tx`SELECT id FROM contacts WHERE id = ${m.targetId} FOR UPDATE`;
    if (!target) throw new ConflictError('the kept contact no longer exists: the merge cannot be undone');
    const now = ctx.clock();

    const src = s.source as unknown as Record<string, unknown>;
    const camel = (c: string) => c.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
    const values = CONTACT_COLUMNS.map((c) => src[camel(c)] ?? null);
    await tx.unsafe(
      `INSERT INTO contacts (${CONTACT_COLUMNS.join(', ')}) VALUES (${CONTACT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
      values as never[],
    );
    for (const table of MOVED_TABLES) {
      const ids = s.moved[table] ?? [];
      if (ids.length > 0)
        await tx`UPDATE ${tx(table)} SET contact_id = ${m.sourceId} WHERE id = ANY(${ids}::uuid[]) AND contact_id = ${m.targetId}`;
    }
    const t = s.targetBefore;
    await tx`
      UPDATE contacts SET external_id = ${t.externalId}, name = ${t.name}, company_id = ${t.companyId},
        client_type = ${t.clientType}, region = ${t.region}, responsible = ${t.responsible}, status = ${t.status},
        updated_at = ${now}
      WHERE id = ${m.targetId}`;
    if (s.closedLead) {
      const c = s.closedLead;
      await tx`UPDATE leads SET status = ${c.status}, closed_at = ${c.closedAt}, updated_at = ${now} WHERE id = ${c.id} AND status = 'junk'`;
      if (c.messageIds.length > 0)
        await tx`UPDATE messages SET lead_id = ${c.id} WHERE id = ANY(${c.messageIds}::uuid[]) AND lead_id = ${c.keepId}`;
      if (c.conversationIds.length > 0)
        await tx`UPDATE conversations SET lead_id = ${c.id} WHERE id = ANY(${c.conversationIds}::uuid[]) AND lead_id = ${c.keepId}`;
    }
    for (const n of s.nulled)
      await tx`UPDATE merge_suggestions SET ${tx(n.side)} = ${m.sourceId} WHERE id = ${n.id} AND ${tx(n.side)} IS NULL`;
    for (const r of s.repointed)
      await tx`UPDATE merge_suggestions SET ${tx(r.side)} = ${m.sourceId} WHERE id = ${r.id} AND ${tx(r.side)} = ${m.targetId}`;
    if (s.pairSuggestions.length > 0)
      await tx`UPDATE merge_suggestions SET status = 'open' WHERE id = ANY(${s.pairSuggestions}::uuid[]) AND status = 'merged'`;
    for (const d of s.deleted)
      await tx`
        INSERT INTO merge_suggestions (id, contact_id, other_contact_id, identity_kind, identity_value, reason, status,
                                       inbound_event_id, created_at)
        VALUES (${d.id as string}, ${d.contactId as string | null}, ${d.otherContactId as string | null},
                ${d.identityKind as string}, ${d.identityValue as string}, ${d.reason as string}, 'open',
                ${(d.inboundEventId as string | null) ?? null}, ${d.createdAt as string})
        ON CONFLICT DO NOTHING`;
    await tx`UPDATE contact_merges SET undone_at = ${now}, undone_by = ${ctx.actor} WHERE id = ${mergeId}`;
    await audit(tx, {
      actor: ctx.actor,
      action: 'contact.merge_undone',
      entityType: 'contact',
      entityId: m.targetId,
      reason: `merge of contact ${m.sourceId} into this one undone`,
      data: { mergeId, restoredContactId: m.sourceId },
    });
    return { mergeId, contactId: m.targetId, restoredContactId: m.sourceId };
  });
}

export interface MergeRecord {
  id: string;
  targetId: string;
  sourceId: string;
  targetName: string | null;
  sourceName: string | null;
  actor: string;
  mergedAt: Date;
  undoneAt: Date | null;
}

/** Recent merges, newest first (what a person may want to undo). */
export async function recentMerges(sql: Sql, limit: number): Promise<MergeRecord[]> {
  return sql<MergeRecord[]>`
    SELECT m.id, m.target_id, m.source_id, c.name AS target_name, m.snapshot->'source'->>'name' AS source_name,
           m.actor, m.merged_at, m.undone_at
    FROM contact_merges m LEFT JOIN contacts c ON c.id = m.target_id
    ORDER BY m.merged_at DESC LIMIT ${limit}`;
}
