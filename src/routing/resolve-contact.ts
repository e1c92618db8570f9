import type { IdentityMatch, Party } from '../core/communication.js';
import type { Queryable as Sql } from '../db/queryable.js';
import {
  addIdentities,
  findIdentities,
  type IdentityRow,
  markVerified,
  setSource,
} from '../db/repos/identities.js';
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
  /** The identity that decided it. */
  matchedBy: Identity | null;
}

/** Where an identity was learned: the channel, or `out:<channel>` when only our own outbound message named it. */
export function identitySource(comm: { channel: string; direction: 'in' | 'out' }): string {
  return comm.direction === 'out' ? `${OUTBOUND}${comm.channel}` : comm.channel;
}

const OUTBOUND = 'out:';
/** The client gave it (a channel or the CRM), as opposed to a hint or an address we wrote to first. */
const clientGiven = (row: IdentityRow) => !row.source.startsWith(OUTBOUND) && !row.source.startsWith('hint:');

interface Candidate {
  contactId: string;
  identity: Identity;
  clientGiven: boolean;
  /** Position among the party's own identities; hints come after all of them. */
  order: number;
}

/**
 * Finds which contact the party is. One known own identity decides as it is. When the identities point at
 * several contacts: an identity learned only from our own outbound message never outranks one the client gave
 * (a hint in the content counts as given when it matches what the client gave before, and only then); among
 * the rest the contact with an active deal wins, then the one with an open lead, then the client-given match,
 * then the party's own order. The others become merge suggestions (bindIdentities). Hints alone never resolve.
 */
export async function resolveContact(
  tx: Sql,
  party: NormalizedParty,
): Promise<{ resolution: Resolution; known: Map<string, IdentityRow> }> {
  const rows = await findIdentities(tx, [...party.own, ...party.hints]);
  const known = new Map(rows.map((r) => [identityKey(r), r]));
  const own: Candidate[] = [];
  party.own.forEach((identity, order) => {
    const row = known.get(identityKey(identity));
    if (row) own.push({ contactId: row.contactId, identity, clientGiven: clientGiven(row), order });
  });
  if (own.length === 0) return { resolution: { contactId: null, matchedBy: null }, known };
  let candidates = own;
  if (!own.some((c) => c.clientGiven)) {
    // Only addresses we wrote to first: what the client gave before, mentioned in this message, counts too.
    for (const identity of party.hints) {
      const row = known.get(identityKey(identity));
      if (row && clientGiven(row))
        candidates.push({ contactId: row.contactId, identity, clientGiven: true, order: party.own.length });
    }
  }
  const contacts = [...new Set(candidates.map((c) => c.contactId))];
  if (contacts.length > 1) {
    const standing = await contactStanding(tx, contacts);
    const rank = (c: Candidate) => standing.get(c.contactId) ?? { deal: false, open: false };
    candidates = [...candidates].sort(
      (a, b) =>
        // An address learned only from our own message never outranks one the client gave (issue 16 item 12);
        // among the rest, an active deal wins, then an open lead, then the sender's order.
        Number(b.clientGiven) - Number(a.clientGiven) ||
        Number(rank(b).deal) - Number(rank(a).deal) ||
        Number(rank(b).open) - Number(rank(a).open) ||
        a.order - b.order,
    );
  }
  const best = candidates[0]!;
  return { resolution: { contactId: best.contactId, matchedBy: best.identity }, known };
}

/** Which of the contacts have an active deal / an open lead (only asked when identities disagree). */
async function contactStanding(
  tx: Sql,
  contactIds: string[],
): Promise<Map<string, { deal: boolean; open: boolean }>> {
  const rows = await tx<{ id: string; deal: boolean; open: boolean }[]>`
    SELECT c.id,
      EXISTS (SELECT 1 FROM deals d WHERE d.contact_id = c.id AND d.status = 'active') AS deal,
      EXISTS (SELECT 1 FROM leads l WHERE l.contact_id = c.id AND l.status IN ('new', 'in_progress')) AS open
    FROM unnest(${contactIds}::uuid[]) AS c(id)`;
  return new Map(rows.map((r) => [r.id, { deal: r.deal, open: r.open }]));
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
  // The client wrote from an address we had only written to: from now on it is one the client gave.
  const toClaim: Identity[] = [];
  const inbound = !input.source.startsWith(OUTBOUND);
  const toAdd: { identity: Identity; verified: boolean; source: string }[] = [];
  const conflicts: { identity: Identity; owner: string; hint: boolean }[] = [];
  const classify = (identity: Identity, hint: boolean) => {
    const row = input.known.get(identityKey(identity));
    const owner = row?.contactId;
    if (owner === input.contactId) {
      if (!hint && !row?.verified) toVerify.push(identity);
      if (!hint && inbound && row?.source.startsWith(OUTBOUND)) toClaim.push(identity);
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
  const [, , , mergeSuggestionIds] = await Promise.all([
    toAdd.length > 0 ? addIdentities(tx, input.contactId, toAdd) : undefined,
    toVerify.length > 0 ? markVerified(tx, toVerify) : undefined,
    toClaim.length > 0 ? setSource(tx, toClaim, input.source) : undefined,
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
