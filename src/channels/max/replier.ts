import { SwitchboardError, UnprocessableError } from '../../core/errors.js';
import { lastInboundMessage } from '../../db/repos/conversation-reads.js';
import type { ChannelContext, ConversationReplier, ReplyRequest, SentReply } from '../channel.js';
import type { ChatStates } from '../messenger/chat-state.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import { MaxApiError, type NewMaxMessage } from './client.js';
import type { MaxBot } from './ingest.js';
import { type MaxMessage, parseThreadKey } from './schema.js';

/**
 * Replies in the conversation's dialog with POST /messages (a document is uploaded first and sent as a file
 * attachment, retried while MAX reports it not ready). A dialog whose client stopped the bot is refused with
 * that reason; a 403 marks it blocked and is reported. The reply ledger records the sent message (MAX's
 * answer and the client it went to) as outbound.
 */
export function createMaxReplier(
  ctx: ChannelContext,
  deps: { bots: ReadonlyMap<string, MaxBot>; chats: ChatStates; metrics: MessengerMetrics },
): ConversationReplier {
  const doFetch = ctx.fetch ?? fetch;
  return {
    async send(conversation, request) {
      const bot = deps.bots.get(conversation.account);
      if (!bot) throw new UnprocessableError(`MAX bot "${conversation.account}" is not configured`);
      const chatId = parseThreadKey(conversation.threadKey);
      if (!chatId) throw new UnprocessableError('the conversation is not a MAX dialog');
      const state = await deps.chats.get(bot.account.account, chatId);
      if (state?.blockedAt)
        throw new UnprocessableError(
          `the client stopped the bot on ${state.blockedAt.toISOString().slice(0, 10)}: the reply cannot be delivered (${state.blockedReason})`,
        );
      const last = await lastInboundMessage(ctx.sql, conversation.id);
      const userId = ((last?.meta?.max ?? {}) as { userId?: string }).userId;
      const sent = await sendReply(bot, chatId, request, { ...deps, fetch: doFetch });
      const client = { chatId, ...(userId ? { userId } : {}) };
      return {
        externalId: sent.body.mid,
        record: { payload: { account: bot.account.account, sent, client, actor: request.actor } },
      } satisfies SentReply;
    },
  };
}

/** The one call that delivers a reply (kept apart so a pending/sent outbox can wrap it). */
export async function sendReply(
  bot: MaxBot,
  chatId: string,
  request: ReplyRequest,
  deps: { chats: ChatStates; metrics: MessengerMetrics; fetch: typeof fetch },
): Promise<MaxMessage> {
  const account = bot.account.account;
  try {
    const message: NewMaxMessage = { text: request.text };
    if (request.document) {
      const res = await deps.fetch(request.document.url, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new UnprocessableError(`cannot fetch the document: HTTP ${res.status}`);
      const name =
        request.document.name ?? (new URL(request.document.url).pathname.split('/').pop() || 'file');
      const token = await bot.client.uploadFile(new Uint8Array(await res.arrayBuffer()), name);
      message.attachments = [{ type: 'file', payload: { token } }];
    }
    const sent = await bot.client.sendMessage({ chatId }, message);
    deps.metrics.replies.inc({ channel: 'max', account, outcome: 'sent' });
    return sent;
  } catch (err) {
    if (err instanceof SwitchboardError) throw err;
    const status = err instanceof MaxApiError ? err.status : undefined;
    const description = err instanceof Error ? err.message : String(err);
    if (status === 403) {
      deps.metrics.replies.inc({ channel: 'max', account, outcome: 'blocked' });
      await deps.chats.setBlocked(account, chatId, description);
      throw new SwitchboardError('upstream_failed', `MAX refused the reply: ${description}`, {
        details: { status, blocked: true },
        cause: err,
      });
    }
    deps.metrics.replies.inc({
      channel: 'max',
      account,
      outcome: status === 429 ? 'rate_limited' : 'failed',
    });
    throw new SwitchboardError('upstream_failed', `MAX did not take the reply: ${description}`, {
      retryable: status === undefined || status === 429 || status >= 500,
      details: { status: status ?? null },
      cause: err,
    });
  }
}
