import type { Api } from 'grammy';
import { errorMessage } from '../../core/errors.js';
import type { ChannelContext } from '../channel.js';
import type { AccountStatusTracker } from '../messenger/account-status.js';
import type { ChatStates } from '../messenger/chat-state.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import type { IngestResult } from '../messenger/webhook.js';
import type { TelegramAccount } from './config.js';
import { messageKey, type TelegramUpdate, updateSchema } from './schema.js';

export interface TelegramBot {
  account: TelegramAccount;
  api: Api;
  status: AccountStatusTracker;
}

export type TelegramIngest = ReturnType<typeof createTelegramIngest>;

/**
 * One update, from the webhook or a poll: validate -> store (the commit the answer/offset waits for) ->
 * the chat's state (blocked/unblocked) -> decide -> what the bot does in the chat (acknowledge a button,
 * ask for the phone once). A malformed update is kept as rejected. Effects after the store never throw:
 * the update is safe, and a failed effect is logged.
 */
export function createTelegramIngest(
  ctx: ChannelContext,
  deps: { chats: ChatStates; metrics: MessengerMetrics },
) {
  return async function ingest(
    bot: TelegramBot,
    body: unknown,
    raw?: Uint8Array,
    unreadable?: string,
  ): Promise<IngestResult> {
    const account = bot.account.account;
    bot.status.received(ctx.clock());
    const parsed = updateSchema.safeParse(body);
    if (unreadable !== undefined || !parsed.success) {
      const issue = parsed.error?.issues[0];
      const reason =
        unreadable ??
        `not a Telegram update: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`;
      await ctx.intake.reject({
        source: 'telegram',
        account,
        payload: { account, update: body ?? null },
        ...(raw ? { raw } : {}),
        reason,
      });
      deps.metrics.updates.inc({ channel: 'telegram', account, outcome: 'rejected' });
      return { stored: false, reason };
    }
    const u = parsed.data;
    const eventId = await ctx.intake.accept({
      source: 'telegram',
      account,
      externalId: keyOf(u),
      payload: { account, update: body },
      ...(raw ? { raw } : {}),
    });
    deps.metrics.updates.inc({ channel: 'telegram', account, outcome: 'stored' });
    try {
      await afterStore(bot, u, eventId);
    } catch (err) {
      ctx.log.warn(
        { channel: 'telegram', account, eventId, err: errorMessage(err) },
        'telegram update effect failed',
      );
    }
    return { stored: true, eventId };
  };

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
