import type { ChannelKind } from '../../core/communication.js';
import { UnprocessableError } from '../../core/errors.js';
import type { ChannelContext, ChannelTransport, ReplyConversation } from '../channel.js';
import type { MediaSettings } from './config.js';
import { type MediaSource, queueMedia } from './media.js';
import { createMessengerReplies } from './replies.js';
import type { RetryPolicy } from './retry.js';
import { realSleep } from './sleep.js';
import { createChannelState } from './state.js';
import { createTakeIn } from './take-in.js';

/**
 * What every messenger channel builds the same way from its context: a logger, the accounts' state
 * (/readyz, metrics), the store-enrich-process intake, the reply helpers, and the lookups a replier does
 * first (the account, its API client, the conversation's target).
 */
export function createMessengerKit<
  A extends { account: string; retry: RetryPolicy; media?: MediaSettings },
  Api,
>(
  ctx: ChannelContext,
  o: {
    channel: ChannelKind;
    accounts: readonly A[];
    transportOf: (account: A) => string;
    api: (account: A) => Api;
  },
) {
  const log = ctx.log.child({ channel: o.channel });
  const state = createChannelState({
    channel: o.channel,
    accounts: o.accounts.map((a) => ({ account: a.account, transport: o.transportOf(a) })),
    metrics: ctx.metrics,
    clock: ctx.clock,
  });
  const apis = new Map(o.accounts.map((a) => [a.account, o.api(a)]));
  const replies = createMessengerReplies({ source: o.channel, state, log, sleep: ctx.sleep ?? realSleep });
  return {
    log,
    state,
    replies,
    takeIn: createTakeIn({ intake: ctx.intake, state, log }),
    account: (name: string) => o.accounts.find((a) => a.account === name),
    api: (name: string) => apis.get(name)!,

    /** A provider lookup that marks the account up or down. */
    async tracked<T>(account: string, call: () => Promise<T>): Promise<T> {
      try {
        const out = await call();
        state.ok(account);
        return out;
      } catch (err) {
        state.failed(account, err);
        throw err;
      }
    },

    /** The account, its API and the conversation's target (`<prefix>:<target>` thread key), or a 422. */
    replyTarget(conversation: ReplyConversation, threadPrefix: string) {
      const account = o.accounts.find((a) => a.account === conversation.account);
      if (!account)
        throw new UnprocessableError(`${o.channel} account "${conversation.account}" is not configured`);
      const target = conversation.threadKey.startsWith(`${threadPrefix}:`)
        ? conversation.threadKey.slice(threadPrefix.length + 1)
        : '';
      if (!target)
        throw new UnprocessableError(`the conversation has no ${o.channel} ${threadPrefix} to reply to`);
      return { account, api: apis.get(account.account)!, target };
    },

    /**
     * Attachment copying (docs/messengers.md#attachments): `media` tells the shared worker the accounts'
     * limits and how to fetch a file; `afterDecision` queues a message's files in its decision's transaction.
     */
    media(parts: Omit<MediaSource, 'settings'> = {}) {
      const media: MediaSource = {
        settings: (name) => o.accounts.find((a) => a.account === name)?.media,
        ...parts,
      };
      return { media, afterDecision: queueMedia(media, ctx.clock) };
    },

    /** The channel's transport for /readyz (and its long-running parts), when it has accounts. */
    transport(parts: Partial<Pick<ChannelTransport, 'start' | 'stop'>> = {}): {
      transport?: ChannelTransport;
    } {
      if (o.accounts.length === 0) return {};
      return {
        transport: {
          start: parts.start ?? (() => {}),
          stop: parts.stop ?? (async () => {}),
          status: () => state.status(),
        },
      };
    },
  };
}

export type MessengerKit<
  A extends { account: string; retry: RetryPolicy; media?: MediaSettings },
  Api,
> = ReturnType<typeof createMessengerKit<A, Api>>;
