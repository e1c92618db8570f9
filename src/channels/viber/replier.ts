import type { Clock } from '../../core/clock.js';
import { UnprocessableError } from '../../core/errors.js';
import type { ConversationReplier } from '../channel.js';
import type { ChatStates } from '../messenger/chat-state.js';
import type { MessengerKit } from '../messenger/kit.js';
import { ProviderError } from '../messenger/provider-error.js';
import type { ViberApi } from './client.js';
import type { ViberAccount } from './config.js';

/** The reason kept on the chat (messenger_chats) while the user is unsubscribed. */
export const UNSUBSCRIBED = 'the client unsubscribed from the Viber bot';

// Viber's send_message status for a receiver who is not (or no longer) subscribed.
const NOT_SUBSCRIBED = 6;

/**
 * Replies with send_message under the configured sender name to the conversation's user (`user:<id>`).
 * A user who unsubscribed is refused before calling Viber (422, `details.reason: viber_unsubscribed`: Viber
 * would drop the message); Viber's own "receiver not subscribed" (status 6) marks the chat so for the next
 * reply, and is reported as Viber's refusal (502). Viber does not echo a bot's messages, so the sent message
 * is stored as a `message` callback about the receiver, marked `sentBy` (outbound), under the message_token
 * Viber returned. A 200 with `status != 0` is a refusal: 502 with Viber's reason.
 */
export function createViberReplier(
  kit: MessengerKit<ViberAccount, ViberApi>,
  deps: { clock: Clock; chats: ChatStates },
): ConversationReplier {
  return {
    async send(conversation, request) {
      const { account, api, target } = kit.replyTarget(conversation, 'user');
      const chat = await deps.chats.get(account.account, target);
      if (chat?.blockedAt)
        throw new UnprocessableError(
          `the client unsubscribed from the Viber bot on ${chat.blockedAt.toISOString().slice(0, 10)}: Viber delivers nothing to them until they write to the bot again; answer on another channel`,
          { reason: 'viber_unsubscribed', unsubscribedAt: chat.blockedAt.toISOString() },
        );
      let sent: Awaited<ReturnType<ViberApi['send']>>;
      try {
        sent = await kit.replies.send(conversation, account.retry, () => api.send(target, request.text));
      } catch (err) {
        if (err instanceof ProviderError && err.providerCode === NOT_SUBSCRIBED)
          await deps.chats.setBlockedAsOf(account.account, target, UNSUBSCRIBED, deps.clock());
        throw err;
      }
      return kit.replies.sent({
        conversation,
        externalId: sent.messageToken,
        update: {
          event: 'message',
          timestamp: deps.clock().getTime(),
          message_token: sent.messageToken,
          sender: { id: target },
          message: { type: 'text', text: request.text },
        },
        actor: request.actor,
      });
    },
  };
}
