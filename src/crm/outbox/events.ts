import type { Decision, InboundCommunication } from '../../core/communication.js';
import type { Queryable } from '../../db/queryable.js';

/** The events Switchboard publishes. A subscriber lists the ones it wants. */
export const OUTBOX_EVENT_TYPES = [
  'lead.created',
  'lead.updated',
  'message.created',
  'call.ended',
  'merge.done',
] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

/** One event as every subscriber receives it (the webhook body): `data` depends on `type`. */
export interface OutboxEvent {
  type: OutboxEventType;
  occurredAt: string;
  data: Record<string, unknown>;
  /** Who caused it (`pipeline`, `api:<token>`, `bitrix24`): the subscriber it came from is not sent it back. */
  origin: string;
}

/**
 * The events of a batch of decisions, in their order: `message.created` for every message stored,
 * `lead.created` when the decision opened a lead (read back for its routing: team and responsible),
 * `call.ended` for a call. What is read back is read for the whole batch in one round trip.
 */
export async function decisionEvents(
  tx: Queryable,
  decided: readonly { comm: InboundCommunication; decision: Decision }[],
): Promise<OutboxEvent[]> {
  const kept = decided.filter((d) => d.decision.kind !== 'duplicate');
  const leadIds = kept.flatMap(({ decision: d }) =>
    (d.kind === 'new_lead' || d.kind === 'repeat_lead') && d.leadId ? [d.leadId] : [],
  );
  const callMessageIds = kept.flatMap(({ comm, decision }) =>
    comm.kind === 'call' ? [decision.messageId] : [],
  );
  const [leads, calls] = await Promise.all([
    leadIds.length === 0
      ? []
      : tx<{ id: string; team: string | null; responsible: string | null }[]>`
          SELECT id, team, responsible FROM leads WHERE id = ANY(${leadIds}::uuid[])`,
    callEndedData(tx, callMessageIds),
  ]);
  const leadById = new Map(leads.map((l) => [l.id, l]));
  const events: OutboxEvent[] = [];
  for (const { comm, decision } of kept) {
    const occurredAt = comm.occurredAt.toISOString();
    if ((decision.kind === 'new_lead' || decision.kind === 'repeat_lead') && decision.leadId) {
      const lead = leadById.get(decision.leadId);
      events.push({
        type: 'lead.created',
        occurredAt,
        origin: 'pipeline',
        data: {
          leadId: decision.leadId,
          kind: decision.kind === 'new_lead' ? 'new' : 'repeat',
          status: 'new',
          channel: comm.channel,
          account: comm.account,
          contactId: decision.contactId,
          team: lead?.team ?? null,
          responsible: lead?.responsible ?? null,
          messageId: decision.messageId,
          firstContactAt: occurredAt,
        },
      });
    }
    events.push({
      type: 'message.created',
      occurredAt,
      origin: 'pipeline',
      data: {
        messageId: decision.messageId,
        conversationId: decision.conversationId,
        contactId: decision.contactId,
        leadId: decision.leadId ?? null,
        dealId: decision.dealId ?? null,
        decision: decision.kind,
        kind: comm.kind,
        channel: comm.channel,
        account: comm.account,
        direction: comm.direction,
        subject: comm.subject ?? null,
        text: comm.text ?? null,
      },
    });
    const ended = comm.kind === 'call' ? calls.get(decision.messageId) : undefined;
    if (ended) events.push({ type: 'call.ended', occurredAt, origin: 'pipeline', data: ended });
  }
  return events;
}

/**
 * `call.ended`: the calls rows the telephony hook wrote in this transaction (the processor runs it before
 * the outbox), by their message.
 */
async function callEndedData(
  tx: Queryable,
  messageIds: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  if (messageIds.length === 0) return new Map();
  const rows = await tx<Record<string, unknown>[]>`
    SELECT id AS call_id, provider, account, call_key, direction, state, client_phone, dialled, agent,
      started_at, answered_at, ended_at, wait_seconds, talk_seconds, recording_url, contact_id, lead_id,
      deal_id, message_id
    FROM calls WHERE message_id = ANY(${messageIds as string[]}::uuid[])`;
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
  return new Map(
    rows.map((call) => [
      call.messageId as string,
      {
        ...call,
        startedAt: iso(call.startedAt),
        answeredAt: iso(call.answeredAt),
        endedAt: iso(call.endedAt),
      },
    ]),
  );
}
