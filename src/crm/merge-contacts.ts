import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { lockNames } from '../db/locks.js';
import { audit } from '../db/repos/audit.js';
import { CONTACT_COLUMNS, type ContactRow } from '../db/repos/contacts.js';
import { type Identity, identityKey } from '../identity/identity.js';
import type { OutboxWriter } from './outbox/store.js';

export interface MergeResult {
  contactId: string;
  mergedContactId: string;
  /** The duplicate open lead closed because the surviving contact already had one. */
  closedLeadId: string | null;
  /** The recorded merge: `undoMerge` (src/crm/undo-merge.ts) restores both contacts from it. */
  mergeId: string;
}

export const MOVED_TABLES = ['identities', 'conversations', 'messages', 'deals', 'leads', 'calls'] as const;
export type MovedTable = (typeof MOVED_TABLES)[number];

/** What a merge changed, enough to put it back (stored in contact_merges.snapshot). */
export interface MergeSnapshot {
  source: ContactRow;
  targetBefore: ContactRow;
  moved: Record<MovedTable, string[]>;
  closedLead: {
    id: string;
    keepId: string;
    status: string;
    closedAt: Date | null;
    updatedAt: Date;
    messageIds: string[];
    conversationIds: string[];
  } | null;
  /** Suggestions between the two, marked merged (they were open). */
  pairSuggestions: string[];
  /** Suggestions of the source with third contacts, re-pointed to the target. */
  repointed: { id: string; side: 'contact_id' | 'other_contact_id' }[];
  /** Open suggestions of the source deleted as duplicates of the target's. */
  deleted: Record<string, unknown>[];
  /** Closed suggestions whose source side the contact's deletion set to NULL. */
  nulled: { id: string; side: 'contact_id' | 'other_contact_id' }[];
}

/**
 * Merges `sourceId` into `targetId` on a person's explicit decision (never automatically): identities,
 * conversations, messages, deals and leads move to the target; fields the target lacks are taken from the
 * source. If both have an open lead, the younger one is closed as junk and its messages join the older one,
 * keeping "one open lead per contact". Two contacts that both carry a CRM id are merged in the CRM, not here.
 */
export async function mergeContacts(
  sql: Sql,
  input: {
    targetId: string;
    sourceId: string;
    actor: string;
    clock: Clock;
    suggestionId?: string;
    outbox?: OutboxWriter;
  },
): Promise<MergeResult> {
  const { targetId, sourceId } = input;
  if (targetId === sourceId) throw new ConflictError('cannot merge a contact into itself');
  return sql.begin(async (tx) => {
    // The lead rules and CRM pushes lock identities (advisory) before contact rows: the same order here, so an
    // event about either contact waits for the merge instead of deadlocking with it.
    const identities = await tx<{ kind: string; value: string }[]>`
      SELECT kind, value FROM identities WHERE contact_id IN (${targetId}, ${sourceId})`;
    await lockNames(
      tx,
      identities.map((i) => identityKey(i as Identity)),
    );
    // Then both rows, in id order.
    const rows = await tx<ContactRow[]>`
      SELECT ${tx(CONTACT_COLUMNS)} FROM contacts WHERE id IN (${targetId}, ${sourceId}) ORDER BY id FOR UPDATE`;
    const target = rows.find((r) => r.id === targetId);
    const source = rows.find((r) => r.id === sourceId);
    if (!target || !source) throw new NotFoundError(`contact ${!target ? targetId : sourceId}`);
    if (target.externalId && source.externalId)
      throw new ConflictError(
        'both contacts are CRM contacts: merge them in the CRM, which then pushes the result',
      );

    const moved = {} as Record<MovedTable, string[]>;
    for (const table of MOVED_TABLES)
      moved[table] = (
        await tx<{ id: string }[]>`SELECT id FROM ${tx(table)} WHERE contact_id = ${sourceId}`
      ).map((r) => r.id);
    let closedLead: MergeSnapshot['closedLead'] = null;

    const open = await tx<
      {
        id: string;
        contactId: string;
        createdAt: Date;
        status: string;
        closedAt: Date | null;
        updatedAt: Date;
      }[]
    >`
      SELECT id, contact_id, created_at, status, closed_at, updated_at FROM leads
      WHERE contact_id IN (${targetId}, ${sourceId}) AND status IN ('new', 'in_progress') ORDER BY created_at, id`;
    let closedLeadId: string | null = null;
    if (open.length > 1) {
      const [keep, close] = [open[0]!, open[1]!];
      closedLeadId = close.id;
      const now = input.clock();
      closedLead = {
        id: close.id,
        keepId: keep.id,
        status: close.status,
        closedAt: close.closedAt,
        updatedAt: close.updatedAt,
        messageIds: (await tx<{ id: string }[]>`SELECT id FROM messages WHERE lead_id = ${close.id}`).map(
          (r) => r.id,
        ),
        conversationIds: (
          await tx<{ id: string }[]>`SELECT id FROM conversations WHERE lead_id = ${close.id}`
        ).map((r) => r.id),
      };
      await tx`UPDATE leads SET status = 'junk', closed_at = ${now}, updated_at = ${now} WHERE id = ${close.id}`;
      await tx`UPDATE messages SET lead_id = ${keep.id} WHERE lead_id = ${close.id}`;
      await tx`UPDATE conversations SET lead_id = ${keep.id} WHERE lead_id = ${close.id}`;
      await audit(tx, {
        actor: input.actor,
        action: 'lead.merged',
        entityType: 'lead',
        entityId: close.id,
        reason: `contacts merged: duplicate open lead closed, messages moved to lead ${keep.id}`,
      });
    }
    for (const table of MOVED_TABLES)
      await tx`UPDATE ${tx(table)} SET contact_id = ${targetId} WHERE contact_id = ${sourceId}`;
    const pairSuggestions = (
      await tx<{ id: string }[]>`
        UPDATE merge_suggestions SET status = 'merged'
        WHERE status = 'open' AND ((contact_id = ${sourceId} AND other_contact_id = ${targetId})
          OR (contact_id = ${targetId} AND other_contact_id = ${sourceId}))
        RETURNING id`
    ).map((r) => r.id);
    const repointed: MergeSnapshot['repointed'] = [];
    // Suggestions between the source and third contacts now concern the target (on either side of the pair),
    // unless the target already has the same suggestion.
    for (const [side, other] of [
      ['contact_id', 'other_contact_id'],
      ['other_contact_id', 'contact_id'],
    ] as const)
      for (const r of await tx<{ id: string }[]>`
        UPDATE merge_suggestions SET ${tx(side)} = ${targetId}
        WHERE ${tx(side)} = ${sourceId} AND ${tx(other)} <> ${targetId}
          AND NOT EXISTS (SELECT 1 FROM merge_suggestions m WHERE m.${tx(side)} = ${targetId}
            AND m.${tx(other)} = merge_suggestions.${tx(other)} AND m.identity_kind = merge_suggestions.identity_kind
            AND m.identity_value = merge_suggestions.identity_value)
        RETURNING id`)
        repointed.push({ id: r.id, side });
    await tx`
      UPDATE contacts SET
        external_id = coalesce(external_id, ${source.externalId}),
        name = coalesce(name, ${source.name}),
        company_id = coalesce(company_id, ${source.companyId}),
        client_type = coalesce(client_type, ${source.clientType}),
        region = coalesce(region, ${source.region}),
        responsible = coalesce(responsible, ${source.responsible}),
        status = CASE WHEN status = 'client' OR ${source.status} = 'client' THEN 'client' ELSE 'prospect' END,
        updated_at = ${input.clock()}
      WHERE id = ${targetId}`;
    // Suggestions left pointing at the source duplicate one now pointing at the target: nothing to decide.
    const deleted = await tx<Record<string, unknown>[]>`
      DELETE FROM merge_suggestions WHERE status = 'open' AND (contact_id = ${sourceId} OR other_contact_id = ${sourceId})
      RETURNING id, contact_id, other_contact_id, identity_kind, identity_value, reason, status, inbound_event_id, created_at`;
    const nulled = (
      await tx<{ id: string; contactId: string | null }[]>`
        SELECT id, contact_id FROM merge_suggestions WHERE contact_id = ${sourceId} OR other_contact_id = ${sourceId}`
    ).map((r) => ({
      id: r.id,
      side: r.contactId === sourceId ? ('contact_id' as const) : ('other_contact_id' as const),
    }));
    await tx`DELETE FROM contacts WHERE id = ${sourceId}`;
    const snapshot: MergeSnapshot = {
      source,
      targetBefore: target,
      moved,
      closedLead,
      pairSuggestions,
      repointed,
      deleted,
      nulled,
    };
    const [merge] = await tx<{ id: string }[]>`
      INSERT INTO contact_merges (target_id, source_id, suggestion_id, snapshot, actor, merged_at)
      VALUES (${targetId}, ${sourceId}, ${input.suggestionId ?? null}, ${tx.json(snapshot as never)}, ${input.actor},
              ${input.clock()})
      RETURNING id`;
    await audit(tx, {
      actor: input.actor,
      action: 'contact.merged',
      entityType: 'contact',
      entityId: targetId,
      reason: `contact ${sourceId} merged into this one${input.suggestionId ? ` (suggestion ${input.suggestionId})` : ''}`,
      data: { mergedContactId: sourceId, closedLeadId, mergeId: merge!.id },
    });
    const now = input.clock();
    await input.outbox?.record(
      tx,
      [
        {
          type: 'merge.done',
          occurredAt: now.toISOString(),
          origin: input.actor,
          data: { contactId: targetId, mergedContactId: sourceId, closedLeadId },
        },
      ],
      now,
    );
    return { contactId: targetId, mergedContactId: sourceId, closedLeadId, mergeId: merge!.id };
  });
}
