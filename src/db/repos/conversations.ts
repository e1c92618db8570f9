import type { Fragment } from 'postgres';
import type { InboundCommunication } from '../../core/communication.js';
import type { Queryable as Sql } from '../queryable.js';

export interface MessageRef {
  id: string;
  conversationId: string;
  contactId: string;
  leadId: string | null;
  dealId: string | null;
}

/** A message by its key: the channel account and the provider's id. */
export interface MessageKey {
  channel: string;
  account: string;
  externalId: string;
}

export const messageKeyOf = (k: MessageKey): string => `${k.channel}|${k.account}|${k.externalId}`;

/** The stored messages among `keys`, by messageKeyOf. */
export async function findMessages(sql: Sql, keys: readonly MessageKey[]): Promise<Map<string, MessageRef>> {
  if (keys.length === 0) return new Map();
  const rows = await sql<(MessageRef & MessageKey)[]>`
    SELECT m.id, m.conversation_id, m.contact_id, m.lead_id, m.deal_id, m.channel, m.account, m.external_id
    FROM messages m
    JOIN unnest(${keys.map((k) => k.channel)}::text[], ${keys.map((k) => k.account)}::text[],
                ${keys.map((k) => k.externalId)}::text[]) AS q(channel, account, external_id)
      ON m.channel = q.channel AND m.account = q.account AND m.external_id = q.external_id`;
  return new Map(
    rows.map(({ channel, account, externalId, ...ref }) => [
      messageKeyOf({ channel, account, externalId }),
      ref,
    ]),
  );
}

/** A conversation by its key: one thread on one channel account. */
export interface ConversationKey {
  channel: string;
  account: string;
  threadKey: string;
}

export const conversationKeyOf = (k: ConversationKey): string => `${k.channel}|${k.account}|${k.threadKey}`;

/** The stored conversations among `keys` (id and whose thread it is), by conversationKeyOf. */
export async function findConversations(
  sql: Sql,
  keys: readonly ConversationKey[],
): Promise<Map<string, { id: string; contactId: string }>> {
  if (keys.length === 0) return new Map();
  const rows = await sql<(ConversationKey & { id: string; contactId: string })[]>`
    SELECT c.id, c.contact_id, c.channel, c.account, c.thread_key FROM conversations c
    JOIN unnest(${keys.map((k) => k.channel)}::text[], ${keys.map((k) => k.account)}::text[],
                ${keys.map((k) => k.threadKey)}::text[]) AS q(channel, account, thread_key)
      ON c.channel = q.channel AND c.account = q.account AND c.thread_key = q.thread_key`;
  return new Map(rows.map((r) => [conversationKeyOf(r), { id: r.id, contactId: r.contactId }]));
}

/**
 * The threads on these channel accounts (`contact:<id>`: where a communication without a thread of its own
 * lands) of the contacts a subquery yields as `contact_id` (ownersOf), keyed like findConversations.
 */
export async function findContactThreads(
  sql: Sql,
  accounts: readonly { channel: string; account: string }[],
  owners: Fragment,
): Promise<Map<string, { id: string; contactId: string }>> {
  if (accounts.length === 0) return new Map();
  const rows = await sql<(ConversationKey & { id: string; contactId: string })[]>`
    SELECT c.id, c.contact_id, c.channel, c.account, c.thread_key
    FROM unnest(${accounts.map((a) => a.channel)}::text[], ${accounts.map((a) => a.account)}::text[]) AS q(channel, account)
    CROSS JOIN (${owners}) AS o
    -- One probe by the whole key per (account, contact): as a plain join, a plan made while the table was
    -- empty read every thread of the account and kept the contact's (test/key-lookup-plans.test.ts).
    CROSS JOIN LATERAL (
      SELECT id, contact_id, channel, account, thread_key FROM conversations
      WHERE channel = q.channel AND account = q.account AND thread_key = 'contact:' || o.contact_id
      LIMIT 1) AS c`;
  return new Map(rows.map((r) => [conversationKeyOf(r), { id: r.id, contactId: r.contactId }]));
}

/** What a batch of messages makes of one conversation (folded by the caller: one row per key). */
export interface ConversationUpsert extends ConversationKey {
  /** The stored conversation's id, or the one the caller made for a new conversation. */
  id: string;
  /** The thread's contact: its own when it exists, else the first message's. */
  contactId: string;
  leadId: string | null;
  dealId: string | null;
  subject: string | null;
  at: Date;
}

/**
 * Creates or updates conversations, one row per key, in one statement, with the ids the caller gives: a stored
 * conversation's own, a new one's made in Node, so that the statements after it (the messages, the decisions)
 * need not wait for it. Should a conversation the caller did not know have been created meanwhile by another
 * transaction (its id then differs from the one given), the statement fails with a serialization failure, which
 * the decision retries at once, reading it.
 * A thread can carry several people (a colleague replying in the client's email thread): only the
 * conversation's own contact moves its lead/deal link; each message keeps its own contact and lead.
 */
export async function upsertConversations(tx: Sql, rows: readonly ConversationUpsert[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    WITH t AS (
      SELECT * FROM unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.channel)}::text[],
        ${rows.map((r) => r.account)}::text[], ${rows.map((r) => r.threadKey)}::text[],
        ${rows.map((r) => r.contactId)}::uuid[], ${rows.map((r) => r.leadId) as string[]}::uuid[],
        ${rows.map((r) => r.dealId) as string[]}::uuid[], ${rows.map((r) => r.subject) as string[]}::text[],
        ${rows.map((r) => r.at.toISOString())}::timestamptz[])
        AS t(id, channel, account, thread_key, contact_id, lead_id, deal_id, subject, last_message_at)
    ), up AS (
      INSERT INTO conversations (id, channel, account, thread_key, contact_id, lead_id, deal_id, subject, last_message_at)
      SELECT * FROM t
      ON CONFLICT (channel, account, thread_key) DO UPDATE SET
        lead_id = CASE WHEN conversations.contact_id = excluded.contact_id
          THEN coalesce(excluded.lead_id, conversations.lead_id) ELSE conversations.lead_id END,
        deal_id = CASE WHEN conversations.contact_id = excluded.contact_id
          THEN coalesce(excluded.deal_id, conversations.deal_id) ELSE conversations.deal_id END,
        subject = coalesce(conversations.subject, excluded.subject),
        last_message_at = greatest(conversations.last_message_at, excluded.last_message_at)
      RETURNING id, channel, account, thread_key
    )
    SELECT switchboard_retry('a conversation was created concurrently; the batch is decided again')
    FROM up JOIN t USING (channel, account, thread_key) WHERE up.id <> t.id`;
}

export interface NewMessage {
  /** Generated by the caller. */
  id: string;
  /** The conversation by its key, and its id: upserted by the statement just before, in the same round trip. */
  conversation: ConversationKey;
  conversationId: string;
  contactId: string;
  leadId: string | null;
  dealId: string | null;
  inboundEventId: string | null;
  comm: InboundCommunication;
}

/** Stores messages in one statement. */
export async function insertMessages(tx: Sql, messages: readonly NewMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map((m) => {
    const { comm } = m;
    const meta = { ...(comm.meta ?? {}), ...(comm.kind === 'call' ? { call: comm.call } : {}) };
    return {
      id: m.id,
      conversationId: m.conversationId,
      contactId: m.contactId,
      leadId: m.leadId,
      dealId: m.dealId,
      inboundEventId: m.inboundEventId,
      kind: comm.kind,
      direction: comm.direction,
      channel: comm.channel,
      account: comm.account,
      externalId: comm.externalId,
      subject: comm.subject ?? null,
      body: comm.text ?? null,
      meta: Object.keys(meta).length > 0 ? meta : null,
      occurredAt: comm.occurredAt,
    };
  });
  // The conversation's id is the caller's (upsertConversations): no lookup by key.
  await tx`
    INSERT INTO messages (id, conversation_id, contact_id, lead_id, deal_id, inbound_event_id, kind, direction,
                          channel, account, external_id, subject, body, meta, occurred_at)
    SELECT t.id, t."conversationId", t."contactId", t."leadId", t."dealId", t."inboundEventId", t.kind, t.direction,
           t.channel, t.account, t."externalId", t.subject, t.body, t.meta, t."occurredAt"
    FROM jsonb_to_recordset(${tx.json(rows as never)}::jsonb) AS t(id uuid, "conversationId" uuid,
      "contactId" uuid, "leadId" uuid, "dealId" uuid, "inboundEventId" uuid, kind text,
      direction text, channel text, account text, "externalId" text, subject text, body text,
      meta jsonb, "occurredAt" timestamptz)`;
}

/** A messenger edit: the stored message takes the new text; its meta keeps the edit time. */
export async function reviseMessage(tx: Sql, id: string, comm: InboundCommunication, editedAt: Date) {
  const meta = { ...(comm.meta ?? {}), editedAt: editedAt.toISOString() };
  await tx`
    UPDATE messages SET body = ${comm.text ?? null}, meta = coalesce(meta, '{}'::jsonb) || ${tx.json(meta as never)}
    WHERE id = ${id}`;
}
