import { Api, GrammyError, HttpError } from 'grammy';
import { SwitchboardError } from '../../core/errors.js';
import type { Sleep } from '../messenger/sleep.js';
import type { TelegramAccount } from './config.js';

/** Every update kind Switchboard reads; sent in full each time (an omitted list keeps the previous one). */
export const ALLOWED_UPDATES = [
  'message',
  'edited_message',
  'my_chat_member',
  'callback_query',
  'business_connection',
  'business_message',
  'edited_business_message',
  'deleted_business_messages',
] as const;

/** grammY's Bot API client for one bot, at the account's apiRoot (a loopback fake in tests). */
export function createTelegramApi(account: TelegramAccount): Api {
  return new Api(account.token, {
    apiRoot: account.apiRoot.replace(/\/+$/, ''),
    // A long poll is held by Telegram for polling.timeoutSeconds: the client waits a little longer.
    timeoutSeconds: Math.max(account.timeoutSeconds, account.polling.timeoutSeconds + 10),
  });
}

/** What Telegram said about a failed call: the error code, its text, and retry_after on 429. */
export function telegramFailure(err: unknown): { code?: number; description: string; retryAfter?: number } {
  if (err instanceof GrammyError)
    return {
      code: err.error_code,
      description: err.description,
      ...(err.parameters.retry_after !== undefined ? { retryAfter: err.parameters.retry_after } : {}),
    };
  if (err instanceof HttpError)
    return { description: `network error calling ${err.message.split("'")[1] ?? 'the Bot API'}` };
  return { description: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs a Bot API call, honouring 429 `retry_after`: waits what Telegram asked (up to `maxRetryAfterSeconds`)
 * and tries again, at most `attempts` times. A longer wait, or the last 429, fails as a retryable
 * `upstream_failed` carrying `retryAfter`; other errors are rethrown for the caller to classify.
 */
export async function withRetryAfter<T>(
  call: () => Promise<T>,
  opts: { maxRetryAfterSeconds: number; sleep: Sleep; attempts?: number; onRateLimited?: () => void },
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      const f = telegramFailure(err);
      if (f.code !== 429) throw err;
      opts.onRateLimited?.();
      const wait = f.retryAfter ?? 1;
      if (i >= attempts || wait > opts.maxRetryAfterSeconds)
        throw new SwitchboardError('upstream_failed', `Telegram rate limit: retry after ${wait} s`, {
          retryable: true,
          details: { retryAfter: wait },
          cause: err,
        });
      await opts.sleep(wait * 1000);
    }
  }
}
