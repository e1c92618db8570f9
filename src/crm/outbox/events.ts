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
 * The events of one decision: `message.created` for every message stored, `lead.created` when the
 * decision opened a lead (read back for its routing: team and responsible).
 */
export async function decisionEvents(
  tx: Queryable,
  comm: InboundCommunication,
  decision: Decision,
): Promise<OutboxEvent[]> {
  if (decision.kind === 'duplicate') return [];
  const occurredAt = comm.occurredAt.toISOString();
  const events: OutboxEvent[] = [];
  if ((decision.kind === 'new_lead' || decision.kind === 'repeat_lead') && decision.leadId) {
    const [lead] = await tx<{ team: string | null; responsible: string | null }[]>`
      SELECT team, responsible FROM leads WHERE id = ${decision.leadId}`;
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
  if (comm.kind === 'call') {
    const ended = await callEndedData(tx, decision.messageId);
    if (ended) events.push({ type: 'call.ended', occurredAt, origin: 'pipeline', data: ended });
  }
  return events;
}

/**
 * `call.ended`: the calls row the telephony hook wrote in this transaction (the processor runs it before
 * the outbox), found by its message.
 */
async function callEndedData(tx: Queryable, messageId: string): Promise<Record<string, unknown> | undefined> {
  const [call] = await tx<Record<string, unknown>[]>`
    SELECT id AS call_id, provider, account, call_key, direction, state, client_phone, dialled, agent,
      started_at, answered_at, ended_at, wait_seconds, talk_seconds, recording_url, contact_id, lead_id,
      deal_id, message_id
    FROM calls WHERE message_id = ${messageId}`;
  if (!call) return undefined;
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
  return {
    ...call,
    startedAt: iso(call.startedAt),
    answeredAt: iso(call.answeredAt),
    endedAt: iso(call.endedAt),
  };
}
