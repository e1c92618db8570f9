import type { ChannelConnectInput, ChannelContext, ChannelModule } from '../channel.js';
import { defineChannel } from '../channel.js';
import { createAccountStatus } from '../messenger/account-status.js';
import { botTransport } from '../messenger/bot-transport.js';
import { createChatStates } from '../messenger/chat-state.js';
import { messengerMetrics } from '../messenger/metrics.js';
import { realSleep, type Sleep } from '../messenger/sleep.js';
import { createMaxClient } from './client.js';
import { maxConfigSchema } from './config.js';
import { connectMax } from './connect.js';
import { createMaxIngest, type MaxBot } from './ingest.js';
import { normalizeMax } from './normalize.js';
import { createMaxPoller } from './polling.js';
import { createMaxReplier } from './replier.js';
import { maxWebhook } from './webhook.js';

/**
 * MAX (the national messenger) bots as a client channel: updates by webhook (POST /webhooks/max/<account>)
 * or GET /updates polling, stored before they are acknowledged; dialogs become conversations; replies with
 * POST /messages through a thin fetch client. See docs/telegram-max.md.
 */
export const maxChannel = defineChannel({
  name: 'max',
  config: { key: 'channels.max', schema: maxConfigSchema },
  connect: (input: ChannelConnectInput): Promise<unknown> => connectMax(input.config, input.account),
  create: (ctx: ChannelContext): ChannelModule => createMax(ctx),
});

/** Builds the module; `sleep` is injected by tests (attachment-not-ready retry, poll backoff). */
export function createMax(ctx: ChannelContext, opts: { sleep?: Sleep } = {}): ChannelModule {
  const sleep = opts.sleep ?? realSleep;
  const bots = new Map<string, MaxBot>(
    ctx.config.channels.max.map((a) => [
      a.account,
      {
        account: a,
        client: createMaxClient(a, { sleep, ...(ctx.fetch ? { fetch: ctx.fetch } : {}) }),
        status: createAccountStatus(a.transport),
      },
    ]),
  );
  const chats = createChatStates(ctx.sql, ctx.clock, 'max');
  const metrics = messengerMetrics(ctx.metrics.registry);
  const ingest = createMaxIngest(ctx, { chats, metrics });
  return {
    name: 'max',
    normalize: normalizeMax,
    webhooks: [maxWebhook(bots, ingest)],
    replier: { channel: 'max', ...createMaxReplier(ctx, { bots, chats, metrics }) },
    ...botTransport(bots, (b) => createMaxPoller(b, { ingest, metrics, sleep, log: ctx.log })),
  };
}
