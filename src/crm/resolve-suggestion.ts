import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { type MergeResult, mergeContacts } from './merge-contacts.js';
import type { OutboxWriter } from './outbox/store.js';

export type Resolution =
  | { id: string; status: 'dismissed' }
  | ({ id: string; status: 'merged' } & MergeResult);

/**
 * A person's decision on a merge suggestion (the API and the web app): merge into the contact named by `keep`,
 * or dismiss (they are different people).
 */
export async function resolveSuggestion(
  sql: Sql,
  id: string,
  decision: { action: 'merge' | 'dismiss'; keep: 'contact' | 'other' },
  ctx: { actor: string; clock: Clock; outbox?: OutboxWriter },
): Promise<Resolution> {
  const [s] = await sql<{ contactId: string; otherContactId: string; status: string }[]>`
    SELECT contact_id, other_contact_id, status FROM merge_suggestions WHERE id = ${id}`;
  if (!s) throw new NotFoundError('merge suggestion');
  if (s.status !== 'open') throw new ConflictError(`suggestion is already ${s.status}`);
  if (decision.action === 'dismiss') {
    await sql`UPDATE merge_suggestions SET status = 'dismissed' WHERE id = ${id}`;
    return { id, status: 'dismissed' };
  }
  const [targetId, sourceId] =
    decision.keep === 'contact' ? [s.contactId, s.otherContactId] : [s.otherContactId, s.contactId];
  const result = await mergeContacts(sql, {
    targetId,
    sourceId,
    actor: ctx.actor,
    clock: ctx.clock,
    suggestionId: id,
    ...(ctx.outbox ? { outbox: ctx.outbox } : {}),
  });
  return { id, status: 'merged', ...result };
}

export interface SuggestionView {
  id: string;
  contactId: string;
  otherContactId: string;
  identityKind: string;
  identityValue: string;
  reason: string;
  status: string;
  createdAt: Date;
  contactName: string | null;
  otherName: string | null;
  contactIdentities: { kind: string; value: string }[] | null;
  otherIdentities: { kind: string; value: string }[] | null;
}

/** Suggestions with both contacts' names and identities (what a person needs to decide). */
export async function listSuggestions(
  sql: Sql,
  status: string,
  limit: number,
  /** Only suggestions about contacts with a lead of these teams or of this manager (the web app's managers). */
  visibleTo?: { teams: string[]; login: string },
): Promise<SuggestionView[]> {
  const visible = visibleTo
    ? sql`AND EXISTS (SELECT 1 FROM leads l WHERE l.contact_id IN (s.contact_id, s.other_contact_id)
            AND (l.team = ANY(${visibleTo.teams}) OR l.responsible = ${visibleTo.login}))`
    : sql``;
  return sql<SuggestionView[]>`
    SELECT s.id, s.contact_id, s.other_contact_id, s.identity_kind, s.identity_value, s.reason, s.status, s.created_at,
           a.name AS contact_name, b.name AS other_name,
           (SELECT json_agg(json_build_object('kind', kind, 'value', value)) FROM identities WHERE contact_id = s.contact_id) AS contact_identities,
           (SELECT json_agg(json_build_object('kind', kind, 'value', value)) FROM identities WHERE contact_id = s.other_contact_id) AS other_identities
    FROM merge_suggestions s
    LEFT JOIN contacts a ON a.id = s.contact_id
    LEFT JOIN contacts b ON b.id = s.other_contact_id
    WHERE s.status = ${status} ${visible} ORDER BY s.created_at DESC LIMIT ${limit}`;
}
