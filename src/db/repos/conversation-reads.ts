import type { ChannelKind } from '../../core/communication.js';
import type { Queryable as Sql } from '../queryable.js';

export interface ConversationRow {
  id: string;
  channel: ChannelKind;
  account: string;
  threadKey: string;
  contactId: string;
  leadId: string | null;
  dealId: string | null;
  subject: string | null;
}

export async function getConversation(sql: Sql, id: string): Promise<ConversationRow | undefined> {
  const [row] = await sql<ConversationRow[]>`
    SELECT id, channel, account, thread_key, contact_id, lead_id, deal_id, subject FROM conversations
    WHERE id = ${id}`;
  return row;
}

/** The newest message the client sent in the conversation (what a reply answers). */
export async function lastInboundMessage(
  sql: Sql,
  conversationId: string,
): Promise<{ id: string; subject: string | null; meta: Record<string, unknown> | null } | undefined> {
  const [row] = await sql<{ id: string; subject: string | null; meta: Record<string, unknown> | null }[]>`
    SELECT id, subject, meta FROM messages
    WHERE conversation_id = ${conversationId} AND direction = 'in'
    ORDER BY occurred_at DESC, created_at DESC LIMIT 1`;
  return row;
}
