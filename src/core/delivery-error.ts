import { SwitchboardError } from './errors.js';

/**
 * A delivery attempt failed. `retryable` says whether trying again can help (a timeout, 429, 5xx) or not
 * (a chat that blocked the bot, a rejected address); `retryAfterMs` is the provider's own wait, if given.
 */
export class DeliveryError extends SwitchboardError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super('upstream_failed', message, { retryable: opts.retryable, cause: opts.cause });
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Network-level failures (refused, reset, timed out) are worth retrying. */
export function networkError(channel: string, err: unknown): DeliveryError {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  const what =
    e.name === 'TimeoutError' || e.name === 'AbortError'
      ? 'timed out'
      : (e.cause?.code ?? e.message ?? 'network error');
  return new DeliveryError(`${channel}: ${what}`, { retryable: true, cause: err });
}

/** HTTP statuses worth retrying: rate limits, timeouts and server errors. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * The wait before the next attempt after `attempts` failed ones: the provider's Retry-After when it gave one,
 * otherwise `baseMs` doubled per attempt up to `maxMs`.
 */
export function retryDelayMs(err: unknown, attempts: number, baseMs: number, maxMs: number): number {
  if (err instanceof DeliveryError && err.retryAfterMs !== undefined) return err.retryAfterMs;
  return Math.min(maxMs, baseMs * 2 ** (attempts - 1));
}
