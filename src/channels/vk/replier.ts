import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { UnprocessableError } from '../../core/errors.js';
import type { ConversationReplier } from '../channel.js';
import type { MessengerKit } from '../messenger/kit.js';
import type { VkApi } from './client.js';
import type { VkAccount } from './config.js';

/**
 * VK's random_id for a reply: a non-zero int32 derived from our reply's id in the ledger, so every retry
 * of one reply (ours after a 5xx, or a client's with the same Idempotency-Key) carries the same value and
 * VK sends it at most once.
 */
export function vkRandomId(replyId: string): number {
  const n = createHash('sha256').update(replyId).digest().readInt32BE(0);
  return n === 0 ? 1 : n;
}

/**
 * Replies with messages.send from the community to the conversation's peer (`peer:<peer_id>`), then records
 * the message under `peer_id_conversation_message_id`: the key of VK's `message_reply` echo, which is then a
 * duplicate.
 */
export function createVkReplier(kit: MessengerKit<VkAccount, VkApi>, clock: Clock): ConversationReplier {
  return {
    async send(conversation, request) {
      const { account, api, target } = kit.replyTarget(conversation, 'peer');
      const peer = Number(target);
      if (!Number.isSafeInteger(peer))
        throw new UnprocessableError('the conversation has no VK peer to reply to');
      const randomId = vkRandomId(request.replyId);
      const sent = await kit.replies.send(conversation, account.retry, () =>
        api.send(peer, request.text, randomId),
      );
      const message = {
        id: sent.messageId ?? 0,
        date: Math.floor(clock().getTime() / 1000),
        peer_id: peer,
        from_id: -account.groupId,
        out: 1,
        text: request.text,
        conversation_message_id: sent.conversationMessageId,
        attachments: [],
        random_id: randomId,
      };
      return kit.replies.sent({
        conversation,
        externalId: `${peer}_${sent.conversationMessageId}`,
        update: { type: 'message_reply', group_id: account.groupId, object: message },
        actor: request.actor,
      });
    },
  };
}
