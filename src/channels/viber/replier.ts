import type { Clock } from '../../core/clock.js';
import { UnprocessableError } from '../../core/errors.js';
import type { ConversationReplier } from '../channel.js';
import type { MessengerReplies } from '../messenger/replies.js';
import type { ViberApi } from './client.js';
import type { ViberAccount } from './config.js';

/**
 * Replies with send_message under the configured sender name. Viber does not echo a bot's messages, so the
 * sent message is stored as a `message` callback about the receiver, marked `sentBy` (outbound), under the
 * message_token Viber returned. A 200 with `status != 0` is a refusal: 502 with Viber's reason.
 */
export function createViberReplier(deps: {
  accounts: readonly ViberAccount[];
  api: (account: string) => ViberApi | undefined;
  replies: MessengerReplies;
  clock: Clock;
}): ConversationReplier {
  return {
    async reply(conversation, request) {
      const account = deps.accounts.find((a) => a.account === conversation.account);
      const api = deps.api(conversation.account);
      if (!account || !api)
        throw new UnprocessableError(`Viber account "${conversation.account}" is not configured`);
      const receiver = /^user:(.+)$/.exec(conversation.threadKey)?.[1];
      if (!receiver) throw new UnprocessableError('the conversation has no Viber user to reply to');
      const sent = await deps.replies.send(conversation, request.actor, account.retry, () =>
        api.send(receiver, request.text),
      );
      return deps.replies.record({
        conversation,
        externalId: sent.messageToken,
        update: {
          event: 'message',
          timestamp: deps.clock().getTime(),
          message_token: sent.messageToken,
          sender: { id: receiver },
          message: { type: 'text', text: request.text },
        },
        actor: request.actor,
      });
    },
  };
}
