import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { errorMessage, SwitchboardError, UnprocessableError } from '../../core/errors.js';
import { lastInboundMessage } from '../../db/repos/conversation-reads.js';
import type { ConversationReplier } from '../channel.js';
import type { MessengerKit } from '../messenger/kit.js';
import { ProviderError } from '../messenger/provider-error.js';
import type { AvitoApi } from './client.js';
import type { AvitoAccount } from './config.js';

/** Avito refuses longer texts. */
const MAX_TEXT = 1000;

/** Avito's clock and ours may differ: a lost send is looked for from this long before the reply was stored. */
const CLOCK_SKEW_SECONDS = 120;

/**
 * Replies in the conversation's Avito chat (`chat:<chat_id>`), then records the message under the id Avito
 * gave it: the id the webhook echo of our own message carries, which is then a duplicate.
 *
 * Avito has no idempotency key, so a send is never repeated blindly. Before a retry (ours, after a 5xx, a
 * timeout or a rate limit; or the ledger's, when a failed reply is sent again with the same Idempotency-Key)
 * the chat's newest messages are read: an outgoing message with the same text, created since the reply was
 * first stored, that no other reply of ours recorded, is the send whose answer was lost; it is recorded
 * instead of sending again. The window left is in docs/messengers.md (Avito, "Replies").
 */
export function createAvitoReplier(
  kit: MessengerKit<AvitoAccount, AvitoApi>,
  deps: { sql: Sql; clock: Clock },
): ConversationReplier {
  /** An outgoing message of ours in the chat with this text, since `since`, that no sent reply recorded. */
  async function lostSend(
    account: AvitoAccount,
    api: AvitoApi,
    o: { conversationId: string; chatId: string; text: string; since: number },
  ): Promise<{ id: string; created: number } | undefined> {
    // Unable to look: the reply fails (retried while the error is retryable) rather than risk a second copy.
    const listed = await api.messages(o.chatId).catch((err: unknown) => {
      throw new ProviderError(
        'Avito',
        `cannot check whether the earlier send reached the chat: ${errorMessage(err)}`,
        {
          retryable: err instanceof SwitchboardError && err.retryable,
          cause: err,
        },
      );
    });
    const ours = listed.filter(
      (m) =>
        (m.author_id === account.userId || m.direction === 'out') &&
        m.content?.text === o.text &&
        m.created >= o.since,
    );
    if (ours.length === 0) return undefined;
    const recorded = await deps.sql<{ externalId: string }[]>`
      SELECT external_id FROM replies
      WHERE conversation_id = ${o.conversationId} AND status = 'sent'
        AND external_id = ANY(${ours.map((m) => m.id)}::text[])`;
    const taken = new Set(recorded.map((r) => r.externalId));
    const lost = ours.filter((m) => !taken.has(m.id)).sort((a, b) => a.created - b.created)[0];
    return lost ? { id: lost.id, created: lost.created } : undefined;
  }

  return {
    async send(conversation, request) {
      const { account, api, target: chatId } = kit.replyTarget(conversation, 'chat');
      if (request.text.length > MAX_TEXT)
        throw new UnprocessableError(`Avito accepts at most ${MAX_TEXT} characters in a message`);
      const last = await lastInboundMessage(deps.sql, conversation.id);
      const buyerId = (last?.meta?.avito as { buyerId?: number } | undefined)?.buyerId;
      const [ledger] = await deps.sql<{ attempts: number; createdAt: Date }[]>`
        SELECT attempts, created_at FROM replies WHERE id = ${request.replyId}`;
      const since = Math.floor((ledger?.createdAt ?? deps.clock()).getTime() / 1000) - CLOCK_SKEW_SECONDS;
      const sentBefore = (ledger?.attempts ?? 1) > 1;
      const sent = await kit.replies.send(conversation, account.retry, async (attempt) => {
        if (attempt > 1 || sentBefore) {
          const lost = await lostSend(account, api, {
            conversationId: conversation.id,
            chatId,
            text: request.text,
            since,
          });
          if (lost) {
            kit.log.info(
              { account: account.account, conversationId: conversation.id, replyId: request.replyId },
              'the earlier send reached Avito: recorded, not sent again',
            );
            return lost;
          }
        }
        return api.send(chatId, request.text);
      });
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
