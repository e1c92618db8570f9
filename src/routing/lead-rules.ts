import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Decision, InboundCommunication } from '../core/communication.js';
import { lockNames } from '../db/locks.js';
import type { Queryable as Sql } from '../db/queryable.js';
import { audit } from '../db/repos/audit.js';
import { type ContactRow, createProspect, lockContact, prospectRow } from '../db/repos/contacts.js';
import { findMessage, insertMessage, reviseMessage, upsertConversation } from '../db/repos/conversations.js';
import { activeDealOf, createLead, openLeadOf } from '../db/repos/leads.js';
import type { IdentityPolicy } from '../identity/identity.js';
import { identityKey } from '../identity/identity.js';
import { decideLead } from './decide.js';
import {
  bindIdentities,
  describeIdentity,
  identitySource,
  normalizeParty,
  resolveContact,
} from './resolve-contact.js';
import type { Router } from './router.js';

export interface LeadRulesDeps {
  policy: IdentityPolicy;
  router: Router;
  clock: Clock;
}

/**
 * The lead rules, applied to one communication inside the caller's transaction: load (duplicate check,
 * contact resolution, deal and open lead) -> decide (`decideLead`, pure) -> route -> persist.
 *  1 duplicate (same channel account + external id) -> nothing changes
 *  2 outbound -> attached to its conversation, never a lead
 *  3 resolve the contact from every identity (conflicts -> merge suggestions, never merges)
 *  4 active deal -> attached_to_deal;  5 open lead -> attached_to_lead;
 *  6 known client -> repeat_lead;      7 otherwise -> new_lead
 * Concurrency: advisory locks on the message key and every identity (sorted), then the contact row, so the
 * same person arriving on two channels at once serializes into one contact and one lead.
 */
export async function applyLeadRules(
  tx: Sql,
  comm: InboundCommunication,
  deps: LeadRulesDeps,
  inboundEventId?: string,
): Promise<Decision> {
  const party = normalizeParty(comm.party, deps.policy);
  const messageKey = `message|${comm.channel}|${comm.account}|${comm.externalId}`;
  // Pipelined on the transaction's connection: the statements run in the order issued, so both reads see
  // everything committed by whoever held the locks before us, in one round trip instead of three.
  const [, seen, resolved] = await Promise.all([
    lockNames(tx, [messageKey, ...[...party.own, ...party.hints].map(identityKey)]),
    findMessage(tx, comm.channel, comm.account, comm.externalId),
    resolveContact(tx, party),
  ]);

  // Rule 1. A messenger edit of a stored message updates its text and is otherwise a duplicate.
  if (seen) {
    if (comm.revision) await reviseMessage(tx, seen.id, comm, comm.revision.editedAt);
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
      conversationId: seen.conversationId,
      messageId: seen.id,
      matches: [],
      mergeSuggestionIds: [],
    };
  }

  // Rule 3 (resolution comes first so that rule 2 knows whose conversation an outbound message is).
  const { resolution, known } = resolved;
  let contact: ContactRow;
  let created = false;
  let deal: Awaited<ReturnType<typeof activeDealOf>>;
  let open: Awaited<ReturnType<typeof openLeadOf>>;
  if (resolution.contactId) {
    // The row lock, then (pipelined, in order) the reads for rules 4 and 5 that it guards.
    [contact, deal, open] = await Promise.all([
      lockContact(tx, resolution.contactId),
      activeDealOf(tx, resolution.contactId),
      openLeadOf(tx, resolution.contactId),
    ]);
    if (!contact.name && party.name)
      await tx`UPDATE contacts SET name = ${party.name} WHERE id = ${contact.id}`;
  } else {
    contact = prospectRow(randomUUID(), party.name ?? null, deps.clock());
    created = true;
  }
  // The new contact's row and its identities in one round trip, in this order.
  const [, bound] = await Promise.all([
    created ? createProspect(tx, contact) : undefined,
    bindIdentities(tx, {
      contactId: contact.id,
      party,
      known,
      source: identitySource(comm),
      ...(inboundEventId ? { inboundEventId } : {}),
    }),
  ]);
  const matchedBy = resolution.matchedBy
    ? `${describeIdentity(resolution.matchedBy)} matched an existing contact`
    : party.own.length > 0
      ? 'no identity of the sender was known: new contact'
      : `the sender carried no usable identity (${party.rejected.map((r) => `${r.kind}: ${r.reason}`).join(', ') || 'none given'}): new contact`;

  // Decide (pure), then route and persist.
  const { kind, rule, because } = decideLead({
    direction: comm.direction,
    deal: deal ?? null,
    openLead: open ?? null,
    contactStatus: contact.status,
    created,
  });
  let dealId: string | undefined;
  let leadId: string | undefined;
  let newLead: Promise<unknown> | undefined;
  switch (kind) {
    case 'outbound':
      dealId = deal?.id;
      leadId = open?.id;
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
      const routed = await deps.router.route(tx, {
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
      });
      leadId = randomUUID();
      newLead = createLead(tx, {
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
  const messageId = randomUUID();
  // The lead (when new), its conversation, the message and the audit row in one round trip, in this order:
  // each statement may reference what the ones before it wrote.
  const [, conversationId] = await Promise.all([
    newLead,
    upsertConversation(tx, {
      ...conversation,
      contactId: contact.id,
      leadId: leadId ?? null,
      dealId: dealId ?? null,
      subject: comm.subject ?? null,
      at: comm.occurredAt,
    }),
    // The lead's first response, for the dashboard: the earliest outbound message or call on it.
    kind === 'outbound' && leadId
      ? tx`UPDATE leads SET first_response_at = ${comm.occurredAt}
           WHERE id = ${leadId} AND first_contact_at <= ${comm.occurredAt}
             AND (first_response_at IS NULL OR first_response_at > ${comm.occurredAt})`
      : undefined,
    insertMessage(tx, {
      id: messageId,
      conversation,
      contactId: contact.id,
      leadId: leadId ?? null,
      dealId: dealId ?? null,
      inboundEventId: inboundEventId ?? null,
      comm,
    }),
    audit(tx, {
      actor: 'pipeline',
      action: `decision.${kind}`,
      entityType: leadId ? 'lead' : 'message',
      entityId: leadId ?? messageId,
      reason,
      data: {
        rule,
        messageId,
        contactId: contact.id,
        dealId: dealId ?? null,
        mergeSuggestionIds: bound.mergeSuggestionIds,
      },
      ...(inboundEventId ? { inboundEventId } : {}),
    }),
  ]);
  const decision: Decision = {
    kind,
    channel: comm.channel,
    rule,
    reason,
    contactId: contact.id,
    ...(leadId ? { leadId } : {}),
    ...(dealId ? { dealId } : {}),
    conversationId,
    messageId,
    matches: bound.matches,
    mergeSuggestionIds: bound.mergeSuggestionIds,
  };
  return decision;
}
