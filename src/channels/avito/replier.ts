import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { UnprocessableError } from '../../core/errors.js';
import { lastInboundMessage } from '../../db/repos/conversation-reads.js';
import type { ConversationReplier } from '../channel.js';
import type { MessengerKit } from '../messenger/kit.js';
import type { AvitoApi } from './client.js';
import type { AvitoAccount } from './config.js';

/** Avito refuses longer texts. */
const MAX_TEXT = 1000;

/**
 * Replies in the conversation's Avito chat (`chat:<chat_id>`), then records the message under the id Avito
 * gave it: the id the webhook echo of our own message carries, which is then a duplicate. Avito has no
 * idempotency key, so a send retried after a 5xx may, rarely, arrive twice (docs/messengers.md).
 */
export function createAvitoReplier(
  kit: MessengerKit<AvitoAccount, AvitoApi>,
  deps: { sql: Sql; clock: Clock },
): ConversationReplier {
  return {
    async send(conversation, request) {
      const { account, api, target: chatId } = kit.replyTarget(conversation, 'chat');
      if (request.text.length > MAX_TEXT)
        throw new UnprocessableError(`Avito accepts at most ${MAX_TEXT} characters in a message`);
      const last = await lastInboundMessage(deps.sql, conversation.id);
      const buyerId = (last?.meta?.avito as { buyerId?: number } | undefined)?.buyerId;
      const sent = await kit.replies.send(conversation, account.retry, () => api.send(chatId, request.text));
      const created = sent.created ?? Math.floor(deps.clock().getTime() / 1000);
      return kit.replies.sent({
        conversation,
        externalId: sent.id,
        update: {
          id: `sent-${sent.id}`,
          version: 'switchboard',
          timestamp: created,
          payload: {
            type: 'message',
            value: {
              id: sent.id,
              chat_id: chatId,
              user_id: account.userId,
              author_id: account.userId,
              created,
              type: 'text',
              content: { text: request.text },
            },
          },
        },
        ...(buyerId !== undefined ? { enrichment: { buyerId } } : {}),
        actor: request.actor,
      });
    },
  };
}
