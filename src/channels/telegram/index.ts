import type { ChannelConnectInput, ChannelContext, ChannelModule } from '../channel.js';
import { defineChannel } from '../channel.js';
import { createAccountStatus } from '../messenger/account-status.js';
import { botTransport } from '../messenger/bot-transport.js';
import { createChatStates } from '../messenger/chat-state.js';
import { queueMedia } from '../messenger/media.js';
import { messengerMetrics } from '../messenger/metrics.js';
import { realSleep, type Sleep } from '../messenger/sleep.js';
import { createTelegramApi } from './api.js';
import { telegramConfigSchema } from './config.js';
import { connectTelegram } from './connect.js';
import { createTelegramIngest, type TelegramBot } from './ingest.js';
import { telegramMedia } from './media.js';
import { normalizeTelegram } from './normalize.js';
import { createTelegramPoller } from './polling.js';
import { createTelegramReplier } from './replier.js';
import { telegramWebhook } from './webhook.js';

/**
 * Telegram bots as a client channel: updates by webhook (POST /webhooks/telegram/<account>) or getUpdates
 * polling, stored before they are acknowledged; private chats become conversations, business accounts
 * connected to the bot too; replies through grammY's Bot API client. See docs/telegram-max.md.
 */
export const telegramChannel = defineChannel({
  name: 'telegram',
  config: { key: 'channels.telegram', schema: telegramConfigSchema },
  connect: (input: ChannelConnectInput): Promise<unknown> => connectTelegram(input.config, input.account),
  create: (ctx: ChannelContext): ChannelModule => createTelegram(ctx),
});

/** Builds the module; `sleep` is injected by tests (429 retry_after, poll backoff). */
export function createTelegram(ctx: ChannelContext, opts: { sleep?: Sleep } = {}): ChannelModule {
  const sleep = opts.sleep ?? realSleep;
  const accounts = ctx.config.channels.telegram;
  const bots = new Map<string, TelegramBot>(
    accounts.map((a) => [
      a.account,
      { account: a, api: createTelegramApi(a), status: createAccountStatus(a.transport) },
    ]),
  );
  const chats = createChatStates(ctx.sql, ctx.clock, 'telegram');
  const metrics = messengerMetrics(ctx.metrics.registry);
  const ingest = createTelegramIngest(ctx, { chats, metrics });
  const media = telegramMedia(bots);
  return {
    name: 'telegram',
    normalize: normalizeTelegram,
    webhooks: [telegramWebhook(bots, ingest)],
    media,
    afterDecision: queueMedia(media, ctx.clock),
    replier: { channel: 'telegram', ...createTelegramReplier({ bots, chats, metrics, sleep }) },
    ...botTransport(bots, (b) => createTelegramPoller(b, { ingest, metrics, sleep, log: ctx.log })),
  };
}
