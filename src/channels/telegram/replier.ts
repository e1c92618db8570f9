import type { Message } from 'grammy/types';
import { SwitchboardError, UnprocessableError } from '../../core/errors.js';
import type { ConversationReplier, ReplyRequest, SentReply } from '../channel.js';
import type { ChatStates } from '../messenger/chat-state.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import type { Sleep } from '../messenger/sleep.js';
import { telegramFailure, withRetryAfter } from './api.js';
import type { TelegramBot } from './ingest.js';
import { messageKey, parseThreadKey } from './schema.js';

/**
 * Replies in the conversation's chat (through the business connection for a business chat): sendMessage, or
 * sendDocument with the text as caption. A chat whose client blocked the bot is refused with that reason;
 * a 403 from Telegram marks the chat blocked and is reported. The reply ledger records the sent message
 * (Telegram's answer, stored as `{account, sent}`) as an outbound communication.
 */
export function createTelegramReplier(deps: {
  bots: ReadonlyMap<string, TelegramBot>;
  chats: ChatStates;
  metrics: MessengerMetrics;
  sleep: Sleep;
}): ConversationReplier {
  return {
    async send(conversation, request) {
      const bot = deps.bots.get(conversation.account);
      if (!bot) throw new UnprocessableError(`Telegram bot "${conversation.account}" is not configured`);
      const target = parseThreadKey(conversation.threadKey);
      if (!target) throw new UnprocessableError('the conversation is not a Telegram chat');
      const chatKey = String(target.chatId);
      const state = target.businessConnectionId
        ? undefined
        : await deps.chats.get(bot.account.account, chatKey);
      if (state?.blockedAt)
        throw new UnprocessableError(
          `the client blocked the bot on ${state.blockedAt.toISOString().slice(0, 10)}: the reply cannot be delivered (${state.blockedReason})`,
        );
      const sent = await sendReply(bot, target, request, deps);
      return recordOf(bot.account.account, sent, request.actor);
    },
  };
}

/** The one call that delivers a reply (kept apart so a pending/sent outbox can wrap it). */
export async function sendReply(
  bot: TelegramBot,
  target: { chatId: number; businessConnectionId?: string },
  request: ReplyRequest,
  deps: { chats: ChatStates; metrics: MessengerMetrics; sleep: Sleep },
): Promise<Message> {
  const account = bot.account.account;
  const via = target.businessConnectionId ? { business_connection_id: target.businessConnectionId } : {};
  try {
    const sent = await withRetryAfter<Message>(
      () =>
        request.document
          ? bot.api.sendDocument(target.chatId, request.document.url, { caption: request.text, ...via })
          : bot.api.sendMessage(target.chatId, request.text, via),
      {
        maxRetryAfterSeconds: bot.account.maxRetryAfterSeconds,
        sleep: deps.sleep,
        onRateLimited: () =>
          deps.metrics.replies.inc({ channel: 'telegram', account, outcome: 'rate_limited' }),
      },
    );
    deps.metrics.replies.inc({ channel: 'telegram', account, outcome: 'sent' });
    return sent;
  } catch (err) {
    if (err instanceof SwitchboardError) throw err;
    const f = telegramFailure(err);
    if (f.code === 403) {
      deps.metrics.replies.inc({ channel: 'telegram', account, outcome: 'blocked' });
      if (!target.businessConnectionId)
        await deps.chats.setBlocked(account, String(target.chatId), f.description);
      throw new SwitchboardError('upstream_failed', `Telegram refused the reply: ${f.description}`, {
        details: { errorCode: 403, blocked: true },
        cause: err,
      });
    }
    deps.metrics.replies.inc({ channel: 'telegram', account, outcome: 'failed' });
    throw new SwitchboardError('upstream_failed', `Telegram did not take the reply: ${f.description}`, {
      retryable: f.code === undefined || f.code >= 500,
      details: { errorCode: f.code ?? null },
      cause: err,
    });
  }
}

/** What records the sent message: Telegram's answer, read by normalize as outbound. */
function recordOf(account: string, sent: Message, actor: string): SentReply {
  const externalId = messageKey({
    chat: { id: sent.chat.id, type: sent.chat.type },
    message_id: sent.message_id,
    ...(sent.business_connection_id ? { business_connection_id: sent.business_connection_id } : {}),
  });
  return { externalId, record: { payload: { account, sent, actor } } };
}
