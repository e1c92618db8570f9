import type { Api } from 'grammy';
import type { ChannelContext } from '../channel.js';
import type { AccountStatusTracker } from '../messenger/account-status.js';
import { createBotIngest } from '../messenger/bot-ingest.js';
import type { ChatStates } from '../messenger/chat-state.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import type { TelegramAccount } from './config.js';
import { messageKey, type TelegramUpdate, updateSchema } from './schema.js';

export interface TelegramBot {
  account: TelegramAccount;
  api: Api;
  status: AccountStatusTracker;
}

export type TelegramIngest = ReturnType<typeof createTelegramIngest>;

/**
 * One update, from the webhook or a poll, through the bots' intake (messenger/bot-ingest.ts: validate ->
 * store, or kept as rejected); after the store: the chat's state (blocked/unblocked) -> decide -> what the
 * bot does in the chat (acknowledge a button, ask for the phone once).
 */
export function createTelegramIngest(
  ctx: ChannelContext,
  deps: { chats: ChatStates; metrics: MessengerMetrics },
) {
  return createBotIngest<TelegramBot, TelegramUpdate>(ctx, {
    channel: 'telegram',
    provider: 'Telegram',
    schema: updateSchema,
    metrics: deps.metrics,
    keyOf,
    afterStore,
  });

  async function afterStore(bot: TelegramBot, u: TelegramUpdate, eventId: string) {
    const account = bot.account.account;
    const member = u.my_chat_member;
    if (member && member.chat.type === 'private') {
      const blocked = member.new_chat_member.status === 'kicked';
      await deps.chats.setBlocked(
        account,
        String(member.chat.id),
        blocked ? 'the client blocked the bot' : null,
      );
    }
    const outcome = await ctx.intake.process(eventId);
    if (u.callback_query) await bot.api.answerCallbackQuery(u.callback_query.id);
    const m = u.message;
    if (
      m &&
      bot.account.askPhone.enabled &&
      m.chat.type === 'private' &&
      !m.contact &&
      outcome.status === 'processed' &&
      outcome.decisions.some((d) => d.kind !== 'duplicate' && d.kind !== 'outbound') &&
      (await deps.chats.claimPhoneRequest(account, String(m.chat.id)))
    ) {
      await bot.api.sendMessage(m.chat.id, bot.account.askPhone.text, {
        reply_markup: {
          keyboard: [[{ text: bot.account.askPhone.button, request_contact: true }]],
          one_time_keyboard: true,
          resize_keyboard: true,
        },
      });
    }
  }
}

function keyOf(u: TelegramUpdate): string {
  const m = u.message ?? u.edited_message ?? u.business_message ?? u.edited_business_message;
  return m ? messageKey(m) : `update:${u.update_id}`;
}
