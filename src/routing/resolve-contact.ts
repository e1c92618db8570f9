import type { IdentityMatch, Party } from '../core/communication.js';
import type { Queryable as Sql } from '../db/queryable.js';
import { addIdentities, findIdentities, type IdentityRow, markVerified } from '../db/repos/identities.js';
import { suggestMerge } from '../db/repos/merge-suggestions.js';
import { type Identity, type IdentityPolicy, identityKey, normalizeIdentity } from '../identity/identity.js';

export interface NormalizedParty {
  name?: string;
  /** The party's own identities, deduplicated, in priority order. */
  own: Identity[];
  /** Identities found in content; never resolve a contact on their own. */
  hints: Identity[];
  rejected: { kind: string; reason: string }[];
}

/** Normalizes every identity a party carries; junk and our own addresses are dropped with their reason. */
export function normalizeParty(party: Party, policy: IdentityPolicy): NormalizedParty {
  const seen = new Set<string>();
  const rejected: NormalizedParty['rejected'] = [];
  const pick = (raws: Party['identities']): Identity[] => {
    const out: Identity[] = [];
    for (const raw of raws) {
      const r = normalizeIdentity(raw, policy);
      if (!r.ok) {
        rejected.push({ kind: r.kind, reason: r.reason });
        continue;
      }
      const key = identityKey(r.identity);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r.identity);
    }
    return out;
  };
  const own = pick(party.identities);
  const hints = pick(party.hints);
  const name = party.name?.trim();
  return { ...(name ? { name } : {}), own, hints, rejected };
}

export interface Resolution {
  /** The contact the party resolved to; null when no identity is known yet. */
  contactId: string | null;
  /** The identity that decided it (the first own identity that is known). */
  matchedBy: Identity | null;
}

/** Finds which contact the party is, by the first of its own identities that is already known. */
export async function resolveContact(
  tx: Sql,
  party: NormalizedParty,
): Promise<{ resolution: Resolution; known: Map<string, IdentityRow> }> {
  const rows = await findIdentities(tx, [...party.own, ...party.hints]);
  const known = new Map(rows.map((r) => [identityKey(r), r]));
  for (const identity of party.own) {
    const contactId = known.get(identityKey(identity))?.contactId;
    if (contactId) return { resolution: { contactId, matchedBy: identity }, known };
  }
  return { resolution: { contactId: null, matchedBy: null }, known };
}

/**
 * Binds the party's identities to `contactId`: unknown ones are added (hints unverified), a hint that
 * reappears as the party's own address is verified, and any identity that belongs to another contact
 * becomes a merge suggestion. Nothing is ever moved between contacts automatically.
 */
export async function bindIdentities(
  tx: Sql,
  input: {
    contactId: string;
    party: NormalizedParty;
    known: Map<string, IdentityRow>;
    source: string;
    inboundEventId?: string;
  },
): Promise<{ matches: IdentityMatch[]; mergeSuggestionIds: string[] }> {
  const matches: IdentityMatch[] = [];
  const toVerify: Identity[] = [];
  const toAdd: { identity: Identity; verified: boolean; source: string }[] = [];
  const conflicts: { identity: Identity; owner: string; hint: boolean }[] = [];
  const classify = (identity: Identity, hint: boolean) => {
    const row = input.known.get(identityKey(identity));
    const owner = row?.contactId;
    if (owner === input.contactId) {
      if (!hint && !row?.verified) toVerify.push(identity);
      matches.push({ ...identity, contactId: owner, outcome: hint ? 'confirmed_hint' : 'matched' });
    } else if (owner) {
      conflicts.push({ identity, owner, hint });
      matches.push({ ...identity, contactId: owner, outcome: 'conflict' });
    } else {
      toAdd.push({ identity, verified: !hint, source: hint ? `hint:${input.source}` : input.source });
      matches.push({ ...identity, contactId: input.contactId, outcome: hint ? 'added_hint' : 'added' });
    }
  };
  for (const identity of input.party.own) classify(identity, false);
  for (const identity of input.party.hints) classify(identity, true);

  // All writes in one round trip (pipelined on the transaction's connection).
  const [, , mergeSuggestionIds] = await Promise.all([
    toAdd.length > 0 ? addIdentities(tx, input.contactId, toAdd) : undefined,
    toVerify.length > 0 ? markVerified(tx, toVerify) : undefined,
    Promise.all(
      conflicts.map((c) =>
        suggestMerge(tx, {
          contactId: input.contactId,
          otherContactId: c.owner,
          identity: c.identity,
          reason: c.hint
            ? `${c.identity.kind} found in the content belongs to another contact`
            : `${c.identity.kind} used by the sender belongs to another contact`,
          ...(input.inboundEventId ? { inboundEventId: input.inboundEventId } : {}),
        }),
      ),
    ),
  ]);
  return { matches, mergeSuggestionIds };
}

/** A short, non-identifying description of an identity for reasons and logs: `phone …6789`. */
export function describeIdentity(identity: Identity): string {
  return `${identity.kind} …${identity.value.slice(-4)}`;
}
