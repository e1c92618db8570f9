import { SwitchboardError } from '../../core/errors.js';
import { ProviderError } from './provider-error.js';
import type { Sleep } from './sleep.js';

/** How often and how patiently a provider call is retried (`retry:` in each messenger's config). */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs `call` until it succeeds, it fails with a non-retryable error, or `attempts` are used up. Waits
 * between attempts: the provider's Retry-After when it gave one, else exponential backoff from
 * `baseDelayMs`, capped at `maxDelayMs`. Only errors marked `retryable` are retried.
 */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  opts: RetryPolicy & {
    sleep: Sleep;
    onRetry?: (err: SwitchboardError, attempt: number, delayMs: number) => void;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (err) {
      if (!(err instanceof SwitchboardError) || !err.retryable || attempt >= opts.attempts) throw err;
      const hinted = err instanceof ProviderError ? err.retryAfterMs : undefined;
      const delay = Math.min(opts.maxDelayMs, hinted ?? opts.baseDelayMs * 2 ** (attempt - 1));
      opts.onRetry?.(err, attempt, delay);
      await opts.sleep(delay);
    }
  }
}
