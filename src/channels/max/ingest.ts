import { errorMessage } from '../../core/errors.js';
import type { ChannelContext } from '../channel.js';
import type { AccountStatusTracker } from '../messenger/account-status.js';
import type { ChatStates } from '../messenger/chat-state.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import type { IngestResult } from '../messenger/webhook.js';
import type { MaxClient } from './client.js';
import type { MaxAccount } from './config.js';
import { type MaxUpdate, updateSchema } from './schema.js';

export interface MaxBot {
  account: MaxAccount;
  client: MaxClient;
  status: AccountStatusTracker;
}

/**
 * One update, from the webhook or a poll: validate -> store -> the chat's state (bot_stopped blocks,
 * bot_started unblocks) -> decide -> acknowledge a button, ask for the phone once. Malformed: kept as
 * rejected. Effects after the store never throw.
 */
export function createMaxIngest(ctx: ChannelContext, deps: { chats: ChatStates; metrics: MessengerMetrics }) {
  return async function ingest(
    bot: MaxBot,
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
        unreadable ?? `not a MAX update: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`;
      await ctx.intake.reject({
        source: 'max',
        account,
        payload: { account, update: body ?? null },
        ...(raw ? { raw } : {}),
        reason,
      });
      deps.metrics.updates.inc({ channel: 'max', account, outcome: 'rejected' });
      return { stored: false, reason };
    }
    const u = parsed.data;
    const eventId = await ctx.intake.accept({
      source: 'max',
      account,
      // A message's id (a callback's `message` is the bot's own message: not its key).
      ...(u.message && u.update_type.startsWith('message_') && !u.callback
        ? { externalId: u.message.body.mid }
        : {}),
      // 64-bit integers are strings here; the exact bytes are kept too.
      payload: { account, update: body },
      ...(raw ? { raw } : {}),
    });
    deps.metrics.updates.inc({ channel: 'max', account, outcome: 'stored' });
    try {
      await afterStore(bot, u, eventId);
    } catch (err) {
      ctx.log.warn({ channel: 'max', account, eventId, err: errorMessage(err) }, 'max update effect failed');
    }
    return { stored: true, eventId };
  };

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
