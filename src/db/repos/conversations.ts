import type { InboundCommunication } from '../../core/communication.js';
import type { Queryable as Sql } from '../queryable.js';

export interface MessageRef {
  id: string;
  conversationId: string;
  contactId: string;
  leadId: string | null;
  dealId: string | null;
}

export async function findMessage(
  sql: Sql,
  channel: string,
  account: string,
  externalId: string,
): Promise<MessageRef | undefined> {
  const [row] = await sql<MessageRef[]>`
    SELECT id, conversation_id, contact_id, lead_id, deal_id FROM messages
    WHERE channel = ${channel} AND account = ${account} AND external_id = ${externalId}`;
  return row;
}

/** One thread on one channel account; its latest lead/deal link follows the newest message. */
export async function upsertConversation(
  tx: Sql,
  c: {
    channel: string;
    account: string;
    threadKey: string;
    contactId: string;
    leadId: string | null;
    dealId: string | null;
    subject: string | null;
    at: Date;
  },
): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO conversations (channel, account, thread_key, contact_id, lead_id, deal_id, subject, last_message_at)
    VALUES (${c.channel}, ${c.account}, ${c.threadKey}, ${c.contactId}, ${c.leadId}, ${c.dealId}, ${c.subject}, ${c.at})
    ON CONFLICT (channel, account, thread_key) DO UPDATE SET
      lead_id = coalesce(excluded.lead_id, conversations.lead_id),
      deal_id = coalesce(excluded.deal_id, conversations.deal_id),
      subject = coalesce(conversations.subject, excluded.subject),
      last_message_at = greatest(conversations.last_message_at, excluded.last_message_at)
    RETURNING id`;
  return row!.id;
}

export async function insertMessage(
  tx: Sql,
  m: {
    conversationId: string;
    contactId: string;
    leadId: string | null;
    dealId: string | null;
    inboundEventId: string | null;
    comm: InboundCommunication;
  },
): Promise<string> {
  const { comm } = m;
  const meta = { ...(comm.meta ?? {}), ...(comm.kind === 'call' ? { call: comm.call } : {}) };
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO messages (conversation_id, contact_id, lead_id, deal_id, inbound_event_id, kind, direction,
                          channel, account, external_id, subject, body, meta, occurred_at)
    VALUES (${m.conversationId}, ${m.contactId}, ${m.leadId}, ${m.dealId}, ${m.inboundEventId}, ${comm.kind},
            ${comm.direction}, ${comm.channel}, ${comm.account}, ${comm.externalId}, ${comm.subject ?? null},
            ${comm.text ?? null}, ${Object.keys(meta).length > 0 ? tx.json(meta as never) : null}, ${comm.occurredAt})
    RETURNING id`;
  return row!.id;
}
