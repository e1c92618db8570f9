import type { Update } from 'grammy/types';
import { storableJson } from '../../core/safe-json.js';
import type { Logger } from '../../observability/logger.js';
import type { MessengerMetrics } from '../messenger/metrics.js';
import { createPoller } from '../messenger/poller.js';
import type { Sleep } from '../messenger/sleep.js';
import { ALLOWED_UPDATES, telegramFailure } from './api.js';
import type { TelegramBot, TelegramIngest } from './ingest.js';

/**
 * getUpdates with a committed offset: the offset moves past a batch only after every update of it was
 * stored, and Telegram confirms a batch only when a later call sends a higher offset, so a crash redelivers
 * (deduplicated by the message key). A 409 (a webhook is set, or another poller runs) is reported in /readyz.
 */
export function createTelegramPoller(
  bot: TelegramBot,
  deps: {
    ingest: TelegramIngest;
    metrics: MessengerMetrics;
    sleep: Sleep;
    log: Logger;
  },
) {
  const p = bot.account.polling;
  return createPoller<Update, number | undefined>({
    channel: 'telegram',
    account: bot.account.account,
    initial: undefined,
    async poll(offset, signal) {
      const updates = await bot.api.getUpdates(
        {
          ...(offset !== undefined ? { offset } : {}),
          timeout: p.timeoutSeconds,
          limit: p.limit,
          allowed_updates: [...ALLOWED_UPDATES],
        },
        // grammY's own AbortSignal type (a polyfill's); it only needs addEventListener.
        signal as never,
      );
      const last = updates.at(-1);
      return { updates, next: last ? last.update_id + 1 : offset };
    },
    async handle(update) {
      // A malformed update is kept as rejected and committed like any other: polling it again cannot fix it.
      // NUL and lone surrogates (which PostgreSQL refuses) are cleaned, so one odd text never blocks the poller.
      await deps.ingest(bot, storableJson(update));
    },
    idleDelayMs: p.idleDelayMs,
    backoff: { minDelayMs: p.minDelayMs, maxDelayMs: p.maxDelayMs },
    retryAfterMs: (err) => {
      const f = telegramFailure(err);
      return f.code === 429 && f.retryAfter !== undefined ? f.retryAfter * 1000 : undefined;
    },
    status: bot.status,
    up: (v) => deps.metrics.pollingUp.set({ channel: 'telegram', account: bot.account.account }, v),
    sleep: deps.sleep,
    log: deps.log,
  });
}
