import type { ChannelContext } from '../channel.js';
import type { AccountStatusTracker } from '../messenger/account-status.js';
import { createBotIngest } from '../messenger/bot-ingest.js';
import type { ChatStates } from '../messenger/chat-state.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import type { MaxClient } from './client.js';
import type { MaxAccount } from './config.js';
import { type MaxUpdate, updateSchema } from './schema.js';

export interface MaxBot {
  account: MaxAccount;
  client: MaxClient;
  status: AccountStatusTracker;
}

/**
 * One update, from the webhook or a poll, through the bots' intake (messenger/bot-ingest.ts: validate ->
 * store, or kept as rejected); after the store: the chat's state (bot_stopped blocks, bot_started unblocks)
 * -> decide -> acknowledge a button, ask for the phone once.
 */
export function createMaxIngest(ctx: ChannelContext, deps: { chats: ChatStates; metrics: MessengerMetrics }) {
  return createBotIngest<MaxBot, MaxUpdate>(ctx, {
    channel: 'max',
    provider: 'MAX',
    schema: updateSchema,
    metrics: deps.metrics,
    keyOf,
    afterStore,
  });

  async function afterStore(bot: MaxBot, u: MaxUpdate, eventId: string) {
    const account = bot.account.account;
    if (u.update_type === 'bot_stopped' && u.chat_id)
      await deps.chats.setBlocked(account, u.chat_id, 'the client stopped the bot');
    if (u.update_type === 'bot_started' && u.chat_id) await deps.chats.setBlocked(account, u.chat_id, null);
    const outcome = await ctx.intake.process(eventId);
    if (u.callback) await bot.client.answerCallback(u.callback.callback_id, 'Принято');
    const m = u.update_type === 'message_created' ? u.message : undefined;
    const chatId = m?.recipient.chat_id;
    const sharedContact = m?.body.attachments?.some((a) => a.type === 'contact');
    if (
      m &&
      chatId &&
      !sharedContact &&
      bot.account.askPhone.enabled &&
      outcome.status === 'processed' &&
      outcome.decisions.some((d) => d.kind !== 'duplicate' && d.kind !== 'outbound') &&
      (await deps.chats.claimPhoneRequest(account, chatId))
    ) {
      await bot.client.sendMessage(
        { chatId },
        {
          text: bot.account.askPhone.text,
          attachments: [
            {
              type: 'inline_keyboard',
              payload: { buttons: [[{ type: 'request_contact', text: bot.account.askPhone.button }]] },
            },
          ],
        },
      );
    }
  }
}

export type MaxIngest = ReturnType<typeof createMaxIngest>;

/** A message's id (a callback's `message` is the bot's own message: not its key). */
function keyOf(u: MaxUpdate): string | undefined {
  return u.message && u.update_type.startsWith('message_') && !u.callback ? u.message.body.mid : undefined;
}
