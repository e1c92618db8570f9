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
