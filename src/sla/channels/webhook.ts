import { createHmac } from 'node:crypto';
import { DeliveryError, networkError, retryableStatus } from './delivery-error.js';

export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Signed outbound webhook. The body is signed as sent; `Idempotency-Key` is the delivery id, the same on
 * every retry, so a receiver can drop a repeat after a crash between its 2xx and our confirmation.
 */
export function createWebhookSender(opts: WebhookSenderOptions) {
  const doFetch = opts.fetch ?? fetch;
  return {
    async send(payload: unknown, idempotencyKey: string): Promise<void> {
      const body = JSON.stringify(payload);
      let res: Response;
      try {
        res = await doFetch(opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signBody(opts.secret, body),
            [IDEMPOTENCY_HEADER]: idempotencyKey,
            'user-agent': 'switchboard-sla',
          },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (err) {
        throw networkError('webhook', err);
      }
      await res.body?.cancel().catch(() => {});
      if (res.ok) return;
      const retryAfter = Number(res.headers.get('retry-after'));
      throw new DeliveryError(`webhook: HTTP ${res.status}`, {
        retryable: retryableStatus(res.status),
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      });
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
