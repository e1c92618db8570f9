import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { ConflictError, errorMessage, UnprocessableError } from '../../core/errors.js';
import { storeInboundEvent } from '../../ingest/inbound-store.js';
import type { Processor } from '../../ingest/processor.js';
import type { Logger } from '../../observability/logger.js';
import type { ConversationReplier, ReplyConversation } from '../channel.js';

export interface ReplyInput {
  text: string;
  subject?: string;
  actor: string;
  /** Messengers: a file sent with the text as its caption. */
  document?: { url: string; name?: string };
  /** The client's key (the `Idempotency-Key` header): the same key never sends twice. Absent: a new reply. */
  idempotencyKey?: string;
}

export interface ReplyOutcome {
  replyId: string;
  externalId: string;
  /** The inbound event that records the sent message; processing attaches it to the conversation. */
  eventId: string;
  /** The stored outbound message, once processed. */
  messageId?: string;
  /** True when the key was seen before and the stored result is returned without sending again. */
  replayed: boolean;
}

interface ReplyRow {
  id: string;
  status: 'pending' | 'sent' | 'failed';
  body: string;
  externalId: string | null;
  inboundEventId: string | null;
}

/**
 * The one order every channel's reply follows: store the reply as `pending` (keyed by conversation and
 * idempotency key) -> send through the channel -> in one transaction mark it `sent` and store the outbound
 * event that records it -> process that event into the thread. A failure to send marks it `failed` with the
 * reason. So a reply that went out is never sent again by a retry (the stored result is returned), a reply
 * whose outcome is unknown (the daemon died between sending and recording) is refused rather than repeated,
 * and a failed one can be retried with the same key.
 */
export function createReplyLedger(deps: { sql: Sql; clock: Clock; log: Logger; processor: Processor }) {
  async function claim(
    conversation: ReplyConversation & { channel: string },
    input: ReplyInput,
  ): Promise<{ id: string; replay?: ReplyRow }> {
    const id = randomUUID();
    const key = input.idempotencyKey ?? id;
    const now = deps.clock();
    const inserted = await deps.sql<{ id: string }[]>`
      INSERT INTO replies (id, conversation_id, idempotency_key, channel, account, actor, body, subject, status,
                           created_at, updated_at)
      VALUES (${id}, ${conversation.id}, ${key}, ${conversation.channel}, ${conversation.account}, ${input.actor},
              ${input.text}, ${input.subject ?? null}, 'pending', ${now}, ${now})
      ON CONFLICT (conversation_id, idempotency_key) DO NOTHING
      RETURNING id`;
    if (inserted.length > 0) return { id };
    const [row] = await deps.sql<ReplyRow[]>`
      SELECT id, status, body, external_id, inbound_event_id FROM replies
      WHERE conversation_id = ${conversation.id} AND idempotency_key = ${key}`;
    if (!row) throw new ConflictError('the reply was removed while it was being retried');
    if (row.body !== input.text)
      throw new UnprocessableError('this Idempotency-Key was used for a different reply text');
    if (row.status === 'sent') return { id: row.id, replay: row };
    if (row.status === 'pending')
      throw new ConflictError(
        'a reply with this Idempotency-Key is being sent, or its outcome is unknown: check the conversation before sending again',
      );
    // Failed before: take it again, atomically (two retries at once: one sends, the other is refused).
    const retaken = await deps.sql`
      UPDATE replies SET status = 'pending', attempts = attempts + 1, updated_at = ${now}
      WHERE id = ${row.id} AND status = 'failed' RETURNING id`;
    if (retaken.length === 0) throw new ConflictError('a reply with this Idempotency-Key is being sent');
    return { id: row.id };
  }

  return {
    async send(
      conversation: ReplyConversation & { channel: string },
      replier: ConversationReplier,
      source: string,
      input: ReplyInput,
    ): Promise<ReplyOutcome> {
      const { id, replay } = await claim(conversation, input);
      if (replay) {
        const [m] = await deps.sql<{ id: string }[]>`
          SELECT id FROM messages WHERE inbound_event_id = ${replay.inboundEventId} LIMIT 1`;
        return {
          replyId: id,
          externalId: replay.externalId ?? '',
          eventId: replay.inboundEventId ?? '',
          ...(m ? { messageId: m.id } : {}),
          replayed: true,
        };
      }

      let sent: Awaited<ReturnType<ConversationReplier['send']>>;
      try {
        sent = await replier.send(conversation, {
          replyId: id,
          text: input.text,
          ...(input.subject ? { subject: input.subject } : {}),
          ...(input.document ? { document: input.document } : {}),
          actor: input.actor,
        });
      } catch (err) {
        await deps.sql`
          UPDATE replies SET status = 'failed', last_error = ${errorMessage(err).slice(0, 2000)},
            updated_at = ${deps.clock()}
          WHERE id = ${id}`.catch((markErr) =>
          // Left pending: a retry is refused as "outcome unknown" rather than sending twice.
          deps.log.error({ replyId: id, err: errorMessage(markErr) }, 'cannot record a failed reply'),
        );
        throw err;
      }

      // Sent: mark it and store the outbound event in one transaction (a crash here leaves it pending:
      // a retry is refused instead of sending again).
      const now = deps.clock();
      const eventId = await deps.sql.begin(async (tx) => {
        const eventId = await storeInboundEvent(tx, {
          source,
          account: conversation.account,
          externalId: sent.externalId,
          ...(sent.record.contentType ? { contentType: sent.record.contentType } : {}),
          ...(sent.record.payload !== undefined ? { payload: sent.record.payload } : {}),
          ...(sent.record.raw ? { raw: sent.record.raw } : {}),
          receivedAt: now,
        });
        await tx`
          UPDATE replies SET status = 'sent', external_id = ${sent.externalId}, inbound_event_id = ${eventId},
            sent_at = ${now}, updated_at = ${now}, last_error = NULL
          WHERE id = ${id}`;
        return eventId;
      });
      const outcome = await deps.processor.process(eventId);
      const messageId = outcome.status === 'processed' ? outcome.decisions[0]?.messageId : undefined;
      return {
        replyId: id,
        externalId: sent.externalId,
        eventId,
        ...(messageId ? { messageId } : {}),
        replayed: false,
      };
    },
  };
}

export type ReplyLedger = ReturnType<typeof createReplyLedger>;
