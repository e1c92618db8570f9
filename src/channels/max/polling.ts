import type { Logger } from '../../observability/logger.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import { createPoller } from '../messenger/poller.js';
import type { Sleep } from '../messenger/sleep.js';
import type { MaxBot, MaxIngest } from './ingest.js';

/**
 * GET /updates with a marker: the marker of a batch is sent (which commits it) only after every update of
 * it was stored, so a crash redelivers the batch (deduplicated by the message id). MAX gives no retry_after:
 * failures back off exponentially. Polling never touches webhook subscriptions (unlike the SDK's start).
 */
export function createMaxPoller(
  bot: MaxBot,
  deps: { ingest: MaxIngest; metrics: MessengerMetrics; sleep: Sleep; log: Logger },
) {
  const p = bot.account.polling;
  return createPoller<unknown, string | undefined>({
    channel: 'max',
    account: bot.account.account,
    initial: undefined,
    async poll(marker, signal) {
      const { updates, marker: next } = await bot.client.getUpdates(marker, signal);
      return { updates, next };
    },
    async handle(update) {
      await deps.ingest(bot, update);
    },
    idleDelayMs: p.idleDelayMs,
    backoff: { minDelayMs: p.minDelayMs, maxDelayMs: p.maxDelayMs },
    status: bot.status,
    up: (v) => deps.metrics.pollingUp.set({ channel: 'max', account: bot.account.account }, v),
    sleep: deps.sleep,
    log: deps.log,
  });
}
