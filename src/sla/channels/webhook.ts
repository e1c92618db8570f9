import { postSigned } from '../../crm/outbox/signed-post.js';

export { IDEMPOTENCY_HEADER, SIGNATURE_HEADER } from '../../crm/outbox/signed-post.js';

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Signed outbound webhook for SLA alerts (the shared signer of src/crm/outbox, body-only scheme kept for
 * existing receivers). `Idempotency-Key` is the delivery id, the same on every retry, so a receiver can drop
 * a repeat after a crash between its 2xx and our confirmation.
 */
export function createWebhookSender(opts: WebhookSenderOptions) {
  return {
    async send(payload: unknown, idempotencyKey: string): Promise<void> {
      await postSigned({
        url: opts.url,
        secret: opts.secret,
        body: JSON.stringify(payload),
        idempotencyKey,
        userAgent: 'switchboard-sla',
        timeoutMs: opts.timeoutMs,
        label: 'webhook',
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
