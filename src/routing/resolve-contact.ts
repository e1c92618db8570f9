import type { IdentityMatch, Party } from '../core/communication.js';
import type { IdentityRow } from '../db/repos/identities.js';
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

/** Whether a contact has an active deal / an open lead: what breaks a tie between contacts. */
export type Standing = (contactId: string) => { deal: boolean; open: boolean };

/**
 * Finds which contact the party is, from `known` (the stored identities, keyed by identityKey, with what the
 * batch added before this communication). One known own identity decides as it is. When the identities point
 * at several contacts: an identity learned only from our own outbound message never outranks one the client
 * gave (a hint in the content counts as given when it matches what the client gave before, and only then);
 * among the rest the contact with an active deal wins, then the one with an open lead, then the client-given
 * match, then the party's own order. The others become merge suggestions (bindIdentities). Hints alone never
 * resolve.
 */
export function resolveContact(
  party: NormalizedParty,
  known: ReadonlyMap<string, IdentityRow>,
  standing: Standing,
): Resolution {
  const own: Candidate[] = [];
  party.own.forEach((identity, order) => {
    const row = known.get(identityKey(identity));
    if (row) own.push({ contactId: row.contactId, identity, clientGiven: clientGiven(row), order });
  });
  if (own.length === 0) return { contactId: null, matchedBy: null };
  let candidates = own;
  if (!own.some((c) => c.clientGiven)) {
    // Only addresses we wrote to first: what the client gave before, mentioned in this message, counts too.
    for (const identity of party.hints) {
      const row = known.get(identityKey(identity));
      if (row && clientGiven(row))
        candidates.push({ contactId: row.contactId, identity, clientGiven: true, order: party.own.length });
    }
  }
  const contacts = new Set(candidates.map((c) => c.contactId));
  if (contacts.size > 1) {
    candidates = [...candidates].sort(
      (a, b) =>
        // An address learned only from our own message never outranks one the client gave (issue 16 item 12);
        // among the rest, an active deal wins, then an open lead, then the sender's order.
        Number(b.clientGiven) - Number(a.clientGiven) ||
        Number(standing(b.contactId).deal) - Number(standing(a.contactId).deal) ||
        Number(standing(b.contactId).open) - Number(standing(a.contactId).open) ||
        a.order - b.order,
    );
  }
  const best = candidates[0]!;
  return { contactId: best.contactId, matchedBy: best.identity };
}

/** What binding a party's identities to a contact writes (see bindIdentities). */
export interface IdentityWrites {
  add: { identity: Identity; verified: boolean; source: string }[];
  verify: Identity[];
  /** Identities the client now uses that we had only written to: their source becomes `source`. */
  claim: Identity[];
  source: string;
  conflicts: { identity: Identity; owner: string; reason: string }[];
}

/**
 * Binds the party's identities to `contactId` (pure: the caller writes the result): unknown ones are added
 * (hints unverified), a hint that reappears as the party's own address is verified, and any identity that
 * belongs to another contact becomes a merge suggestion. Nothing is ever moved between contacts
 * automatically. `updates` are the rows of `known` as the writes will make them (for the batch's next
 * communication).
 */
export function bindIdentities(
  input: {
    contactId: string;
    party: NormalizedParty;
    source: string;
  },
  known: ReadonlyMap<string, IdentityRow>,
): { matches: IdentityMatch[]; writes: IdentityWrites; updates: [string, IdentityRow][] } {
  const matches: IdentityMatch[] = [];
  const writes: IdentityWrites = { add: [], verify: [], claim: [], source: input.source, conflicts: [] };
  const inbound = !input.source.startsWith(OUTBOUND);
  const updates: [string, IdentityRow][] = [];
  const classify = (identity: Identity, hint: boolean) => {
    const key = identityKey(identity);
    const row = known.get(key);
    const owner = row?.contactId;
    if (row && owner === input.contactId) {
      const verify = !hint && !row.verified;
      // The client wrote from an address we had only written to: from now on it is one the client gave.
      const claim = !hint && inbound && row.source.startsWith(OUTBOUND);
      if (verify) writes.verify.push(identity);
      if (claim) writes.claim.push(identity);
      if (verify || claim)
        updates.push([
          key,
          { ...row, ...(verify ? { verified: true } : {}), ...(claim ? { source: input.source } : {}) },
        ]);
      matches.push({ ...identity, contactId: owner, outcome: hint ? 'confirmed_hint' : 'matched' });
    } else if (owner) {
      writes.conflicts.push({
        identity,
        owner,
        reason: hint
          ? `${identity.kind} found in the content belongs to another contact`
          : `${identity.kind} used by the sender belongs to another contact`,
      });
      matches.push({ ...identity, contactId: owner, outcome: 'conflict' });
    } else {
      const added = { identity, verified: !hint, source: hint ? `hint:${input.source}` : input.source };
      writes.add.push(added);
      updates.push([
        key,
        { ...identity, contactId: input.contactId, verified: added.verified, source: added.source },
      ]);
      matches.push({ ...identity, contactId: input.contactId, outcome: hint ? 'added_hint' : 'added' });
    }
  };
  for (const identity of input.party.own) classify(identity, false);
  for (const identity of input.party.hints) classify(identity, true);
  return { matches, writes, updates };
}

/** A short, non-identifying description of an identity for reasons and logs: `phone …6789`. */
export function describeIdentity(identity: Identity): string {
  return `${identity.kind} …${identity.value.slice(-4)}`;
}
