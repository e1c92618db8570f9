import type { Clock } from '../../core/clock.js';
import type { ConversationReplier } from '../channel.js';
import type { MessengerKit } from '../messenger/kit.js';
import type { ViberApi } from './client.js';
import type { ViberAccount } from './config.js';

/**
 * Replies with send_message under the configured sender name to the conversation's user (`user:<id>`).
 * Viber does not echo a bot's messages, so the sent message is stored as a `message` callback about the
 * receiver, marked `sentBy` (outbound), under the message_token Viber returned. A 200 with `status != 0` is
 * a refusal: 502 with Viber's reason.
 */
export function createViberReplier(
  kit: MessengerKit<ViberAccount, ViberApi>,
  clock: Clock,
): ConversationReplier {
  return {
    async send(conversation, request) {
      const { account, api, target } = kit.replyTarget(conversation, 'user');
      const sent = await kit.replies.send(conversation, account.retry, () => api.send(target, request.text));
      return kit.replies.sent({
        conversation,
        externalId: sent.messageToken,
        update: {
          event: 'message',
          timestamp: clock().getTime(),
          message_token: sent.messageToken,
          sender: { id: target },
          message: { type: 'text', text: request.text },
        },
        actor: request.actor,
      });
    },
  };
}
