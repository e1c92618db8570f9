import type { Clock } from '../core/clock.js';
import type { Decision, InboundCommunication } from '../core/communication.js';
import { NotFoundError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { lockNames } from '../db/locks.js';
import type { Queryable as Sql } from '../db/queryable.js';
import { type AuditEntry, auditMany } from '../db/repos/audit.js';
import {
  type ContactRow,
  createProspects,
  lockContacts,
  nameContacts,
  prospectRow,
} from '../db/repos/contacts.js';
import {
  type ConversationKey,
  type ConversationUpsert,
  conversationKeyOf,
  findContactThreads,
  findConversations,
  findMessages,
  insertMessages,
  type MessageRef,
  messageKeyOf,
  type NewMessage,
  reviseMessage,
  upsertConversations,
} from '../db/repos/conversations.js';
import {
  addIdentities,
  findIdentities,
  type IdentityRow,
  markVerified,
  ownersOf,
  setSources,
} from '../db/repos/identities.js';
import {
  activeDealsOf,
  createLeads,
  type NewLead,
  openLeadsOf,
  recordFirstResponses,
} from '../db/repos/leads.js';
import {
  type MergeSuggestionInput,
  mergeSuggestionKey,
  suggestMerges,
} from '../db/repos/merge-suggestions.js';
import type { Identity, IdentityPolicy } from '../identity/identity.js';
import { identityKey } from '../identity/identity.js';
import { decideLead } from './decide.js';
import {
  bindIdentities,
  describeIdentity,
  identitySource,
  type NormalizedParty,
  normalizeParty,
  resolveContact,
} from './resolve-contact.js';
import type { PreparedRouter, Router, RoutingInput } from './router.js';

export interface LeadRulesDeps {
  policy: IdentityPolicy;
  router: Router;
  clock: Clock;
}

/** The communications of one inbound event: decided together, in order, and kept or dropped together. */
export interface DecisionGroup {
  comms: readonly InboundCommunication[];
  inboundEventId?: string;
}

export type GroupOutcome =
  | { ok: true; decisions: Decision[] }
  | { ok: false; error: unknown }
  /** Left out by the caller's `admit` (another worker holds the event, or it was decided before). */
  | { ok: false; notAdmitted: true };

export interface DecideOptions {
  /**
   * Which groups to decide, known only once the caller's own statements, issued on `tx` just before, have
   * answered (the processor's claim of its events): it rides in the batch's first round trip instead of one
   * of its own. The groups left out are still locked and read, and decided not at all.
   */
  admit?: Promise<readonly boolean[]>;
}

/**
 * The lead rules for a batch of events in the caller's transaction, set-based: a handful of statements for
 * the whole batch instead of a dozen per communication.
 *
 *  load    (two round trips) advisory locks on every message key and identity of the batch (sorted: two
 *          batches can never deadlock on them), the stored messages and identities, and routing's locks
 *          and loads (Router.prepare); then the contacts those identities name, locked, with their active
 *          deal, open lead, conversations, and what routing reads of them
 *  decide  (in memory, in arrival order) each communication against that state, which it updates for the
 *          next one: a person who writes twice in one batch gets one contact and one lead. Rules:
 *            1 duplicate (same channel account + external id) -> nothing changes
 *            2 outbound -> attached to its conversation, never a lead
 *            3 resolve the contact from every identity (conflicts -> merge suggestions, never merges)
 *            4 active deal -> attached_to_deal;  5 open lead -> attached_to_lead;
 *            6 known client -> repeat_lead;      7 otherwise -> new_lead
 *          An event whose decision throws is undone in memory alone; its neighbours go on.
 *  write   one statement per kind of row: contacts, identities, merge suggestions, leads, conversations,
 *          messages, routing cursors, audit rows; issued and not awaited (they ride with the caller's next
 *          round trip), except that a batch with merge suggestions waits for them: its audit rows name their ids.
 *
 * A failing statement fails the transaction and so the batch: the caller retries its events one by one.
 */
export async function decideBatch(
  tx: Sql,
  groups: readonly DecisionGroup[],
  deps: LeadRulesDeps,
  opts: DecideOptions = {},
): Promise<GroupOutcome[]> {
  // Should loading throw before it awaits the verdict, its rejection is the caller's to see, not unhandled.
  opts.admit?.catch(() => {});
  const batch = await loadBatch(tx, groups, deps, opts.admit);
  const outcomes = groups.map((group, i) =>
    batch.admitted[i]
      ? decideGroup(batch, batch.items[i]!, group.inboundEventId, deps)
      : ({ ok: false, notAdmitted: true } as const),
  );
  const done = await writeBatch(tx, batch);
  return outcomes.map((o) => (o.ok ? { ok: true, decisions: o.pending.map(done) } : o));
}

/**
 * The lead rules for one communication (the simulator, tests): a batch of one. Throws what deciding it threw.
 */
export async function applyLeadRules(
  tx: Sql,
  comm: InboundCommunication,
  deps: LeadRulesDeps,
  inboundEventId?: string,
): Promise<Decision> {
  const [outcome] = await decideBatch(
    tx,
    [{ comms: [comm], ...(inboundEventId ? { inboundEventId } : {}) }],
    deps,
  );
  if (!outcome!.ok) throw 'error' in outcome! ? outcome.error : new Error('not admitted');
  // The batch's writes are not awaited (writeBatch): a caller of this one gets its decision written, or the
  // write's error (a statement after a failed one fails, and the transaction then rejects with the first).
  await tx`SELECT 1`;
  return outcome!.decisions[0]!;
}

// ---------------------------------------------------------------------------------------------------------
// State of a batch

/** A communication with what was worked out of it before loading. */
interface Item {
  comm: InboundCommunication;
  party: NormalizedParty;
  messageKey: string;
}

/** A conversation by its id: the stored one's, or the one the batch made for a conversation it creates. */
type ConversationRef = { id: string };

/** A message the batch knows: stored, or written by an earlier communication of the batch. */
interface KnownMessage extends Omit<MessageRef, 'conversationId'> {
  conversation: ConversationRef;
}

/** A decision whose ids that only the writes produce (merge suggestions) are still open. */
interface PendingDecision extends Omit<Decision, 'conversationId' | 'mergeSuggestionIds'> {
  conversation: ConversationRef;
  merges: MergeSuggestionInput[];
}

interface Writes {
  contacts: ContactRow[];
  names: { id: string; name: string }[];
  identities: { contactId: string; identity: Identity; verified: boolean; source: string }[];
  verified: Identity[];
  sources: { identity: Identity; source: string }[];
  merges: MergeSuggestionInput[];
  leads: NewLead[];
  firstResponses: { leadId: string; at: Date }[];
  messages: NewMessage[];
  revisions: { id: string; comm: InboundCommunication; editedAt: Date }[];
  /** Audit rows without their merge suggestion ids, which are filled in once those are written. */
  audit: { entry: AuditEntry; merges: MergeSuggestionInput[] }[];
}

const emptyWrites = (): Writes => ({
  contacts: [],
  names: [],
  identities: [],
  verified: [],
  sources: [],
  merges: [],
  leads: [],
  firstResponses: [],
  messages: [],
  revisions: [],
  audit: [],
});

interface Batch {
  items: Item[][];
  /** Per group: to be decided (DecideOptions.admit). */
  admitted: readonly boolean[];
  messages: Map<string, KnownMessage>;
  identities: Map<string, IdentityRow>;
  contacts: Map<string, ContactRow>;
  deals: Map<string, { id: string; externalId: string; stage: string | null }>;
  openLeads: Map<string, { id: string; status: string }>;
  /** Whose thread each stored conversation of the batch is. */
  conversations: Map<string, { id: string; contactId: string }>;
  /** The ids made for the conversations the batch creates, by conversationKeyOf. */
  newConversations: Map<string, string>;
  router: PreparedRouter;
  writes: Writes;
}

/**
 * Undo log for the batch's in-memory state: an event that throws half-way is taken back out of it, so the
 * next event sees the state as if the failed one had never come.
 */
class Journal {
  private undo: (() => void)[] = [];
  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const before = map.get(key);
    map.set(key, value);
    this.undo.push(() => (had ? map.set(key, before as V) : map.delete(key)));
  }
  rollback(): void {
    for (const u of this.undo.reverse()) u();
    this.undo = [];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Load

async function loadBatch(
  tx: Sql,
  groups: readonly DecisionGroup[],
  deps: LeadRulesDeps,
  admit: Promise<readonly boolean[]> = Promise.resolve(groups.map(() => true)),
): Promise<Batch> {
  const items = groups.map((g) =>
    g.comms.map((comm) => ({
      comm,
      party: normalizeParty(comm.party, deps.policy),
      messageKey: messageKeyOf(comm),
    })),
  );
  const all = items.flat();
  const identities = uniqueIdentities(all.flatMap((i) => [...i.party.own, ...i.party.hints]));
  // The contacts any communication may resolve to are the owners of the batch's identities; the statements
  // name them by a subquery (ownersOf), so that everything the batch locks and reads goes in one round trip.
  const owners = ownersOf(tx, identities);
  // The conversations a communication may land in: its own thread, or, without one, its contact's thread on
  // its channel account. That contact may be any stored contact of the batch — not only an owner of its own
  // identities: an earlier event of the batch may have given one of them to that contact. Every such thread
  // is read, so that the id the batch uses for a stored thread is always the stored one (writeBatch relies on
  // it).
  const threads = new Map<string, ConversationKey>();
  const contactThreadAccounts = new Map<string, { channel: string; account: string }>();
  for (const { comm } of all) {
    const { channel, account } = comm;
    if (comm.threadKey) {
      const k = { channel, account, threadKey: comm.threadKey };
      threads.set(conversationKeyOf(k), k);
    } else contactThreadAccounts.set(`${channel}|${account}`, { channel, account });
  }
  // Pipelined on the transaction's connection: the statements run in the order issued — people's locks
  // (message keys and identities), the contacts' rows, then routing's (managers, then teams) — so every read
  // sees what was committed by whoever held those locks before us, and two batches take the locks they share
  // in the same order.
  const first = Promise.all([
    lockNames(tx, [...all.map((i) => `message|${i.messageKey}`), ...identities.map(identityKey)]),
    findMessages(
      tx,
      all.map((i) => i.comm),
    ),
    findIdentities(tx, identities),
    admit,
  ]);
  const contactReads = Promise.all([
    lockContacts(tx, owners),
    activeDealsOf(tx, owners),
    openLeadsOf(tx, owners),
    findConversations(tx, [...threads.values()]),
    findContactThreads(tx, [...contactThreadAccounts.values()], owners),
  ]);
  // Routing last: it reads the contacts (companies, sticky managers) under their locks. A batch with nothing
  // inbound creates no lead and needs no routing.
  const router = all.some((i) => i.comm.direction === 'in')
    ? deps.router.prepare(tx, { contacts: owners })
    : Promise.resolve(noRouting);
  const rest = Promise.all([contactReads, router]);
  // A failure surfaces through `first`; the later statements' copies of it must not go unhandled.
  rest.catch(() => {});
  const [, stored, identityRows, admitted] = await first;
  if (admitted.length !== groups.length) throw new Error('admit: one flag per group');
  const known = new Map(identityRows.map((r) => [identityKey(r), r]));
  const [[contactRows, deals, openLeads, threadRows, contactThreadRows], prepared] = await rest;
  const conversations = new Map([...threadRows, ...contactThreadRows]);
  const contacts = new Map(contactRows.map((c) => [c.id, c]));

  const messages = new Map<string, KnownMessage>();
  for (const [key, { conversationId, ...ref }] of stored)
    messages.set(key, { ...ref, conversation: { id: conversationId } });
  return {
    items,
    admitted,
    messages,
    identities: known,
    contacts,
    deals,
    openLeads,
    conversations,
    newConversations: new Map(),
    router: prepared,
    writes: emptyWrites(),
  };
}

/** The router of a batch that cannot create a lead. */
const noRouting: PreparedRouter = {
  route: () => {
    throw new Error('routing was not prepared: the batch has no inbound communication');
  },
  checkpoint: () => () => {},
  flush: async () => {},
};

function uniqueIdentities(identities: readonly Identity[]): Identity[] {
  return [...new Map(identities.map((i) => [identityKey(i), i])).values()];
}

function routingInput(
  comm: InboundCommunication,
  party: NormalizedParty,
  contact: RoutingInput['contact'],
  leadKind: 'new' | 'repeat',
): RoutingInput {
  return {
    leadKind,
    channel: comm.channel,
    account: comm.account,
    contact: {
      id: contact.id,
      responsible: contact.responsible,
      region: contact.region,
      clientType: contact.clientType,
      companyId: contact.companyId,
    },
    identities: party.own,
    ...(comm.subject !== undefined ? { subject: comm.subject } : {}),
    ...(comm.text !== undefined ? { text: comm.text } : {}),
    signals: comm.signals ?? {},
    now: comm.occurredAt,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Decide

function decideGroup(
  batch: Batch,
  items: readonly Item[],
  inboundEventId: string | undefined,
  deps: LeadRulesDeps,
): { ok: true; pending: PendingDecision[] } | { ok: false; error: unknown } {
  const journal = new Journal();
  const restoreRouter = batch.router.checkpoint();
  const writes = emptyWrites();
  try {
    const pending = items.map((item) => decideOne(batch, item, inboundEventId, writes, journal, deps));
    for (const key of Object.keys(writes) as (keyof Writes)[])
      (batch.writes[key] as unknown[]).push(...writes[key]);
    return { ok: true, pending };
  } catch (error) {
    journal.rollback();
    restoreRouter();
    return { ok: false, error };
  }
}

function decideOne(
  batch: Batch,
  { comm, party, messageKey }: Item,
  inboundEventId: string | undefined,
  writes: Writes,
  journal: Journal,
  deps: LeadRulesDeps,
): PendingDecision {
  // Rule 1. A messenger edit of a stored message updates its text and is otherwise a duplicate.
  const seen = batch.messages.get(messageKey);
  if (seen) {
    if (comm.revision) writes.revisions.push({ id: seen.id, comm, editedAt: comm.revision.editedAt });
    return {
      kind: 'duplicate',
      channel: comm.channel,
      rule: 'rule_1_duplicate',
      reason: comm.revision
        ? `message ${comm.externalId} on ${comm.channel}/${comm.account} was edited: the stored text was updated`
        : `message ${comm.externalId} on ${comm.channel}/${comm.account} was already received`,
      contactId: seen.contactId,
      ...(seen.leadId ? { leadId: seen.leadId } : {}),
      ...(seen.dealId ? { dealId: seen.dealId } : {}),
      conversation: seen.conversation,
      messageId: seen.id,
      matches: [],
      merges: [],
    };
  }

  // Rule 3 (resolution comes first so that rule 2 knows whose conversation an outbound message is).
  const resolution = resolveContact(party, batch.identities, (id) => ({
    deal: batch.deals.has(id),
    open: batch.openLeads.has(id),
  }));
  let contact: ContactRow;
  let created = false;
  if (resolution.contactId) {
    const found = batch.contacts.get(resolution.contactId);
    if (!found) throw new NotFoundError(`contact ${resolution.contactId}`);
    contact = found;
    if (!contact.name && party.name) {
      writes.names.push({ id: contact.id, name: party.name });
      journal.set(batch.contacts, contact.id, { ...contact, name: party.name });
    }
  } else {
    contact = prospectRow(newId(), party.name ?? null, deps.clock());
    created = true;
    writes.contacts.push(contact);
    journal.set(batch.contacts, contact.id, contact);
  }
  const source = identitySource(comm);
  const bound = bindIdentities({ contactId: contact.id, party, source }, batch.identities);
  for (const [key, row] of bound.updates) journal.set(batch.identities, key, row);
  for (const a of bound.writes.add) writes.identities.push({ contactId: contact.id, ...a });
  writes.verified.push(...bound.writes.verify);
  for (const identity of bound.writes.claim) writes.sources.push({ identity, source });
  const merges = bound.writes.conflicts.map((c) => ({
    contactId: contact.id,
    otherContactId: c.owner,
    identity: c.identity,
    reason: c.reason,
    ...(inboundEventId ? { inboundEventId } : {}),
  }));
  writes.merges.push(...merges);
  const matchedBy = resolution.matchedBy
    ? `${describeIdentity(resolution.matchedBy)} matched an existing contact`
    : party.own.length > 0
      ? 'no identity of the sender was known: new contact'
      : `the sender carried no usable identity (${party.rejected.map((r) => `${r.kind}: ${r.reason}`).join(', ') || 'none given'}): new contact`;

  // Decide (pure), then route.
  const deal = batch.deals.get(contact.id);
  const open = batch.openLeads.get(contact.id);
  const { kind, rule, because } = decideLead({
    direction: comm.direction,
    deal: deal ?? null,
    openLead: open ?? null,
    contactStatus: contact.status,
    created,
  });
  let dealId: string | undefined;
  let leadId: string | undefined;
  switch (kind) {
    case 'outbound':
      dealId = deal?.id;
      leadId = open?.id;
      // The lead's first response, for the dashboard: the earliest outbound message or call on it.
      if (leadId) writes.firstResponses.push({ leadId, at: comm.occurredAt });
      break;
    case 'attached_to_deal':
      dealId = deal?.id;
      break;
    case 'attached_to_lead':
      leadId = open?.id;
      break;
    case 'repeat_lead':
    case 'new_lead': {
      const leadKind = kind === 'repeat_lead' ? 'repeat' : 'new';
      const routed = batch.router.route(routingInput(comm, party, contact, leadKind));
      leadId = newId();
      writes.leads.push({
        id: leadId,
        contactId: contact.id,
        kind: leadKind,
        channel: comm.channel,
        account: comm.account,
        team: routed.team,
        responsible: routed.responsible,
        routing: routed.trace,
        firstContactAt: comm.occurredAt,
        queuedAt: routed.queued ? comm.occurredAt : null,
      });
      journal.set(batch.openLeads, contact.id, { id: leadId, status: 'new' });
      break;
    }
    default: {
      const _exhaustive: never = kind;
      throw new Error(`unhandled decision ${String(_exhaustive)}`);
    }
  }

  const reason = `${matchedBy}; ${because}`;
  const conversation = {
    channel: comm.channel,
    account: comm.account,
    threadKey: comm.threadKey ?? `contact:${contact.id}`,
  };
  const conversationId = conversationIdOf(batch, conversation);
  const messageId = newId();
  writes.messages.push({
    id: messageId,
    conversation,
    conversationId,
    contactId: contact.id,
    leadId: leadId ?? null,
    dealId: dealId ?? null,
    inboundEventId: inboundEventId ?? null,
    comm,
  });
  journal.set(batch.messages, messageKey, {
    id: messageId,
    contactId: contact.id,
    leadId: leadId ?? null,
    dealId: dealId ?? null,
    conversation: { id: conversationId },
  });
  writes.audit.push({
    entry: {
      actor: 'pipeline',
      action: `decision.${kind}`,
      entityType: leadId ? 'lead' : 'message',
      entityId: leadId ?? messageId,
      reason,
      data: { rule, messageId, contactId: contact.id, dealId: dealId ?? null },
      ...(inboundEventId ? { inboundEventId } : {}),
    },
    merges,
  });
  return {
    kind,
    channel: comm.channel,
    rule,
    reason,
    contactId: contact.id,
    ...(leadId ? { leadId } : {}),
    ...(dealId ? { dealId } : {}),
    conversation: { id: conversationId },
    messageId,
    matches: bound.matches,
    merges,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Write

/**
 * Writes what the batch decided; returns how to complete a pending decision with the ids written. Every id
 * but the merge suggestions' is made in Node (a new conversation's too: conversationIdOf), so without merge
 * suggestions (the usual case) the writes are issued and not awaited: the caller's next statements — the
 * channels' hooks, markProcessed, the COMMIT — follow them in the same round trip. A failing write aborts the
 * transaction, which then rejects with its error (the driver keeps the first error of a transaction's
 * statements; patches/postgres+3.4.9.patch makes that so at COMMIT too).
 */
async function writeBatch(tx: Sql, batch: Batch): Promise<(p: PendingDecision) => Decision> {
  const w = batch.writes;
  const audit = (ids: Map<string, string>) =>
    auditMany(
      tx,
      w.audit.map(({ entry, merges }) => ({
        ...entry,
        data: { ...entry.data, mergeSuggestionIds: mergeSuggestionIds(ids, merges) },
      })),
    );
  // Pipelined, in this order: each statement may reference what the ones before it wrote. Every statement is
  // issued here, synchronously (each repository function is one statement): none may be left for later, when
  // the COMMIT could already have been sent.
  const writes = Promise.all([
    createProspects(tx, w.contacts),
    nameContacts(tx, w.names),
    addIdentities(tx, w.identities),
    markVerified(tx, uniqueIdentities(w.verified)),
    setSources(tx, w.sources),
    suggestMerges(tx, w.merges),
    createLeads(tx, w.leads),
    upsertConversations(tx, foldConversations(batch, w.messages)),
    recordFirstResponses(tx, w.firstResponses),
    insertMessages(tx, w.messages),
    ...w.revisions.map((r) => reviseMessage(tx, r.id, r.comm, r.editedAt)),
    batch.router.flush(tx),
    w.merges.length === 0 ? audit(new Map()) : undefined,
  ]);
  let mergeIds = new Map<string, string>();
  if (w.merges.length > 0) {
    // The audit rows name the merge suggestions, whose ids only their upsert tells: a second round trip.
    mergeIds = (await writes)[5];
    await audit(mergeIds);
  } else writes.catch(() => {}); // Surfaces through the transaction (above).
  return ({ conversation, merges, ...d }) => ({
    ...d,
    conversationId: conversation.id,
    mergeSuggestionIds: mergeSuggestionIds(mergeIds, merges),
  });
}

/** A conversation's id: the stored one's, or one made once per batch for a conversation the batch creates. */
function conversationIdOf(batch: Batch, key: ConversationKey): string {
  const k = conversationKeyOf(key);
  const stored = batch.conversations.get(k)?.id;
  if (stored) return stored;
  let id = batch.newConversations.get(k);
  if (!id) {
    id = newId();
    batch.newConversations.set(k, id);
  }
  return id;
}

function mergeSuggestionIds(ids: Map<string, string>, merges: readonly MergeSuggestionInput[]): string[] {
  return [...new Set(merges.map((m) => ids.get(mergeSuggestionKey(m))!))];
}

/**
 * One upsert per conversation for the batch's messages, as if they had been applied one by one: the thread
 * belongs to its stored contact or else to its first message's; only that contact's messages move its lead
 * and deal link (the latest non-empty one wins); the first subject stays; the latest time counts.
 */
function foldConversations(batch: Batch, messages: readonly NewMessage[]): ConversationUpsert[] {
  const folded = new Map<string, ConversationUpsert>();
  for (const m of messages) {
    const key = conversationKeyOf(m.conversation);
    let c = folded.get(key);
    if (!c) {
      c = {
        ...m.conversation,
        id: m.conversationId,
        contactId: batch.conversations.get(key)?.contactId ?? m.contactId,
        leadId: null,
        dealId: null,
        subject: null,
        at: m.comm.occurredAt,
      };
      folded.set(key, c);
    }
    if (m.contactId === c.contactId) {
      c.leadId = m.leadId ?? c.leadId;
      c.dealId = m.dealId ?? c.dealId;
    }
    c.subject = c.subject ?? m.comm.subject ?? null;
    if (m.comm.occurredAt > c.at) c.at = m.comm.occurredAt;
  }
  return [...folded.values()];
}
