import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { errorMessage, SwitchboardError } from '../../core/errors.js';
import { audit } from '../../db/repos/audit.js';
import type { Logger } from '../../observability/logger.js';
import type { ReplyResult } from '../channel.js';
import type { Intake } from '../webhook/intake.js';
import { ProviderError } from './provider-error.js';
import { type RetryPolicy, type Sleep, withRetry } from './retry.js';
import type { ChannelState } from './state.js';
import type { StoredUpdate } from './take-in.js';

export interface ReplyConversation {
  id: string;
  account: string;
  threadKey: string;
}

/**
 * What the three messenger repliers share: the send, retried with backoff on rate limits, 5xx and network
 * failures; a sent message recorded like any communication (stored event -> processor -> outbound message,
 * under the key the provider's echo of it will carry, so the echo is a duplicate); a refusal kept in the
 * audit trail of the conversation (`reply.failed`, with the provider's reason) and thrown as a 502.
 *
 * The send is one function (`send`), so a pending -> sent/failed message store with an idempotency key
 * can wrap it without touching the channels. `replyId` is that key for now: VK derives random_id from it.
 */
export function createMessengerReplies(deps: {
  source: string;
  sql: Sql;
  intake: Intake;
  state: ChannelState;
  log: Logger;
  clock: Clock;
  sleep: Sleep;
}) {
  const log = deps.log.child({ channel: deps.source });
  return {
    /** A fresh id for one reply; stable across the retries of its send. */
    newReplyId: (): string => randomUUID(),

    /** Sends with retries; a final failure is audited on the conversation and rethrown. */
    async send<T>(
      conversation: ReplyConversation,
      actor: string,
      policy: RetryPolicy,
      call: () => Promise<T>,
    ): Promise<T> {
      try {
        const sent = await withRetry(call, {
          ...policy,
          sleep: deps.sleep,
          onRetry: (err, attempt, delayMs) => {
            deps.state.failed(conversation.account, err, false);
            log.warn(
              {
                account: conversation.account,
                conversationId: conversation.id,
                attempt,
                delayMs,
                err: err.message,
              },
              'reply not sent yet, retrying',
            );
          },
        });
        deps.state.ok(conversation.account);
        deps.state.reply(conversation.account, 'sent');
        return sent;
      } catch (err) {
        const failure =
          err instanceof SwitchboardError
            ? err
            : new ProviderError(deps.source, errorMessage(err), { retryable: false, cause: err });
        deps.state.failed(conversation.account, failure);
        deps.state.reply(conversation.account, 'failed');
        // The provider's reason names codes and states, never the client's data; the text is not logged.
        log.warn(
          { account: conversation.account, conversationId: conversation.id, err: failure.message },
          'reply not sent',
        );
        await audit(deps.sql, {
          actor,
          action: 'reply.failed',
          entityType: 'conversation',
          entityId: conversation.id,
          reason: failure.message,
          data: { channel: deps.source, account: conversation.account, retryable: failure.retryable },
        }).catch((auditErr: unknown) =>
          log.error(
            { conversationId: conversation.id, err: errorMessage(auditErr) },
            'cannot audit a failed reply',
          ),
        );
        throw failure;
      }
    },

    /** Records a sent message as an outbound communication of the conversation. */
    async record(o: {
      conversation: ReplyConversation;
      externalId: string;
      update: unknown;
      /** What the channel's normalize needs besides the update (Avito: the buyer). */
      enrichment?: Record<string, unknown>;
      actor: string;
    }): Promise<ReplyResult> {
      const payload: StoredUpdate & { sentBy: string } = {
        account: o.conversation.account,
        update: o.update,
        ...(o.enrichment ? { enrichment: o.enrichment } : {}),
        sentBy: o.actor,
      };
      const eventId = await deps.intake.accept({
        source: deps.source,
        account: o.conversation.account,
        externalId: o.externalId,
        payload,
      });
      const outcome = await deps.intake.process(eventId);
      const messageId = outcome.status === 'processed' ? outcome.decisions[0]?.messageId : undefined;
      return { externalId: o.externalId, eventId, ...(messageId ? { messageId } : {}) };
    },
  };
}

export type MessengerReplies = ReturnType<typeof createMessengerReplies>;
