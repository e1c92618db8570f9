import { errorMessage, SwitchboardError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { ReplyConversation, SentReply } from '../channel.js';
import { ProviderError } from './provider-error.js';
import { type RetryPolicy, withRetry } from './retry.js';
import type { Sleep } from './sleep.js';
import type { ChannelState } from './state.js';
import type { StoredUpdate } from './take-in.js';

/**
 * What the three messenger repliers share, inside the reply ledger's pending -> sent/failed order
 * (src/channels/reply/ledger.ts): the send, retried with backoff on rate limits, 5xx and network failures
 * (the reply stays pending meanwhile, so nothing else sends it); the account's state and metrics; and the
 * payload that records the sent message, under the key the provider's echo of it will carry, so the echo
 * is a duplicate. A final refusal is thrown: the ledger marks the reply failed and the API answers 502.
 */
export function createMessengerReplies(deps: {
  source: string;
  state: ChannelState;
  log: Logger;
  sleep: Sleep;
}) {
  const log = deps.log.child({ channel: deps.source });
  return {
    async send<T>(
      conversation: ReplyConversation,
      policy: RetryPolicy,
      /** Gets the attempt number (1, 2, …): a provider without idempotency checks before a retry. */
      call: (attempt: number) => Promise<T>,
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
        throw failure;
      }
    },

    /** The sent message as the channel's own stored update, marked with who sent it. */
    sent(o: {
      conversation: ReplyConversation;
      externalId: string;
      update: unknown;
      /** What the channel's normalize needs besides the update (Avito: the buyer). */
      enrichment?: Record<string, unknown>;
      actor: string;
    }): SentReply {
      const payload: StoredUpdate & { sentBy: string } = {
        account: o.conversation.account,
        update: o.update,
        ...(o.enrichment ? { enrichment: o.enrichment } : {}),
        sentBy: o.actor,
      };
      return { externalId: o.externalId, record: { payload } };
    },
  };
}

export type MessengerReplies = ReturnType<typeof createMessengerReplies>;
