import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import type { AccountStatusTracker } from './account-status.js';
import type { Sleep } from './sleep.js';

export interface PollerOptions<T, C> {
  channel: string;
  account: string;
  /** The cursor to start from (Telegram: no offset; MAX: no marker = after the provider's last commit). */
  initial: C;
  /** One (long) poll with `cursor`; resolves with the updates in order and the cursor that commits them. */
  poll(cursor: C, signal: AbortSignal): Promise<{ updates: T[]; next: C }>;
  /** Stores one update; throws when it could not be stored (the batch is then fetched again). */
  handle(update: T): Promise<void>;
  /** Wait between polls that returned nothing (MAX asks for ≥ 300 ms; Telegram's long poll waits itself). */
  idleDelayMs: number;
  backoff: { minDelayMs: number; maxDelayMs: number };
  /** A wait the provider asked for (Telegram 429 `retry_after`), in ms; undefined: exponential backoff. */
  retryAfterMs?(err: unknown): number | undefined;
  status: AccountStatusTracker;
  up(value: 0 | 1): void;
  sleep: Sleep;
  log: Logger;
}

/**
 * A polling loop that commits only what it stored: the cursor moves past a batch after every update of it
 * was stored, so a crash or a database outage means the provider delivers the batch again (and the message
 * keys make the redelivery a duplicate). Failures are reported in the status and retried with backoff;
 * the loop never throws.
 */
export function createPoller<T, C>(o: PollerOptions<T, C>) {
  const abort = new AbortController();
  let loop: Promise<void> | undefined;

  async function run() {
    let cursor = o.initial;
    let delay = o.backoff.minDelayMs;
    while (!abort.signal.aborted) {
      try {
        const { updates, next } = await o.poll(cursor, abort.signal);
        for (const u of updates) await o.handle(u);
        cursor = next;
        delay = o.backoff.minDelayMs;
        o.status.ok();
        o.up(1);
        if (updates.length === 0) await o.sleep(o.idleDelayMs, abort.signal);
      } catch (err) {
        if (abort.signal.aborted) break;
        const message = errorMessage(err);
        o.status.failed(message);
        o.up(0);
        o.log.warn({ channel: o.channel, account: o.account, err: message }, 'messenger poll failed');
        const wait = o.retryAfterMs?.(err) ?? delay;
        delay = Math.min(delay * 2, o.backoff.maxDelayMs);
        await o.sleep(wait, abort.signal);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
