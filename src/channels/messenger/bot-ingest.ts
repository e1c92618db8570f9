import type { z } from 'zod';
import { errorMessage } from '../../core/errors.js';
import type { ChannelContext } from '../channel.js';
import type { AccountStatusTracker } from './account-status.js';
import type { MessengerMetrics } from './metrics.js';
import type { IngestResult } from './webhook.js';

/** What the Telegram and MAX intake needs of a bot: its account label and its /readyz line. */
export interface IngestBot {
  account: { account: string };
  status: AccountStatusTracker;
}

/**
 * One Telegram or MAX update, from the webhook or a poll: validate -> store (the commit the answer/offset
 * waits for) -> the channel's `afterStore` (chat state, decide, what the bot does in the chat). A malformed
 * update is kept as rejected. Effects after the store never throw: the update is safe, and a failed effect
 * is logged.
 */
export function createBotIngest<B extends IngestBot, U>(
  ctx: ChannelContext,
  o: {
    channel: 'telegram' | 'max';
    /** The provider's name in a rejection reason ("not a MAX update: ..."). */
    provider: string;
    schema: z.ZodType<U>;
    metrics: MessengerMetrics;
    /** The provider's id of the update kept on the stored event (the message key), when it has one. */
    keyOf(update: U): string | undefined;
    afterStore(bot: B, update: U, eventId: string): Promise<void>;
  },
) {
  return async function ingest(
    bot: B,
    body: unknown,
    raw?: Uint8Array,
    unreadable?: string,
  ): Promise<IngestResult> {
    const account = bot.account.account;
    bot.status.received(ctx.clock());
    const parsed = o.schema.safeParse(body);
    if (unreadable !== undefined || !parsed.success) {
      const issue = parsed.error?.issues[0];
      const reason =
        unreadable ??
        `not a ${o.provider} update: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`;
      await ctx.intake.reject({
        source: o.channel,
        account,
        payload: { account, update: body ?? null },
        ...(raw ? { raw } : {}),
        reason,
      });
      o.metrics.updates.inc({ channel: o.channel, account, outcome: 'rejected' });
      return { stored: false, reason };
    }
    const u = parsed.data;
    const key = o.keyOf(u);
    const eventId = await ctx.intake.accept({
      source: o.channel,
      account,
      ...(key !== undefined ? { externalId: key } : {}),
      // The update as received (MAX: 64-bit integers are strings here); the exact bytes are kept too.
      payload: { account, update: body },
      ...(raw ? { raw } : {}),
    });
    o.metrics.updates.inc({ channel: o.channel, account, outcome: 'stored' });
    try {
      await o.afterStore(bot, u, eventId);
    } catch (err) {
      ctx.log.warn(
        { channel: o.channel, account, eventId, err: errorMessage(err) },
        `${o.channel} update effect failed`,
      );
    }
    return { stored: true, eventId };
  };
}
