import type { Identity } from '../../identity/identity.js';
import type { Queryable as Sql } from '../queryable.js';

/** Records that `identity` ties `contactId` to `otherContactId`. Never merges. Returns the suggestion id. */
export async function suggestMerge(
  sql: Sql,
  input: {
    contactId: string;
    otherContactId: string;
    identity: Identity;
    reason: string;
    inboundEventId?: string;
  },
): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO merge_suggestions (contact_id, other_contact_id, identity_kind, identity_value, reason, inbound_event_id)
    VALUES (${input.contactId}, ${input.otherContactId}, ${input.identity.kind}, ${input.identity.value},
            ${input.reason}, ${input.inboundEventId ?? null})
    ON CONFLICT (contact_id, other_contact_id, identity_kind, identity_value)
      DO UPDATE SET reason = merge_suggestions.reason
    RETURNING id`;
  return row!.id;
}

export interface MergeSuggestionInput {
  contactId: string;
  otherContactId: string;
  identity: Identity;
  reason: string;
  inboundEventId?: string;
}

/** The key a suggestion is unique by (contact, other contact, identity). */
export const mergeSuggestionKey = (s: {
  contactId: string;
  otherContactId: string;
  identity: Identity;
}): string => `${s.contactId}|${s.otherContactId}|${s.identity.kind}|${s.identity.value}`;

/** suggestMerge for several suggestions in one statement; returns each suggestion's id by mergeSuggestionKey. */
export async function suggestMerges(
  sql: Sql,
  inputs: readonly MergeSuggestionInput[],
): Promise<Map<string, string>> {
  // One row per key: an upsert may not touch the same row twice in one statement. The first reason stands,
  // as it does for a suggestion made before.
  const byKey = new Map<string, MergeSuggestionInput>();
  for (const i of inputs) if (!byKey.has(mergeSuggestionKey(i))) byKey.set(mergeSuggestionKey(i), i);
  const rows = [...byKey.values()];
  if (rows.length === 0) return new Map();
  const found = await sql<
    {
      id: string;
      contactId: string;
      otherContactId: string;
      identityKind: Identity['kind'];
      identityValue: string;
    }[]
  >`
    INSERT INTO merge_suggestions (contact_id, other_contact_id, identity_kind, identity_value, reason, inbound_event_id)
    SELECT * FROM unnest(${rows.map((r) => r.contactId)}::uuid[], ${rows.map((r) => r.otherContactId)}::uuid[],
      ${rows.map((r) => r.identity.kind)}::text[], ${rows.map((r) => r.identity.value)}::text[],
      ${rows.map((r) => r.reason)}::text[], ${rows.map((r) => r.inboundEventId ?? null) as string[]}::uuid[])
    ON CONFLICT (contact_id, other_contact_id, identity_kind, identity_value)
      DO UPDATE SET reason = merge_suggestions.reason
    RETURNING id, contact_id, other_contact_id, identity_kind, identity_value`;
  return new Map(
    found.map((r) => [
      mergeSuggestionKey({
        contactId: r.contactId,
        otherContactId: r.otherContactId,
        identity: { kind: r.identityKind, value: r.identityValue },
      }),
      r.id,
    ]),
  );
}
