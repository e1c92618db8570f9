import type { Clock } from '../../core/clock.js';
import { EVENT_HEADER, postSigned } from './signed-post.js';
import type { OutboxRow } from './store.js';
import type { Deliver } from './worker.js';

export interface WebhookSubscriberConfig {
  name: string;
  url: string;
  secret: string;
  timeoutMs: number;
}

/** The outbox subscriber name of a configured webhook. */
export const webhookSubscriber = (name: string) => `webhook:${name}`;

/**
 * Delivers an event to a CRM's webhook: the stored payload as JSON, signed over `<timestamp>.<body>`, with
 * the event id as `Idempotency-Key` (the same on every retry and for a redelivery after a crash).
 */
export function webhookDeliver(hook: WebhookSubscriberConfig, clock: Clock, doFetch?: typeof fetch): Deliver {
  return async (row: OutboxRow) => {
    await postSigned({
      url: hook.url,
      secret: hook.secret,
      body: JSON.stringify(row.payload),
      idempotencyKey: row.eventId,
      timestamp: Math.floor(clock().getTime() / 1000),
      headers: { [EVENT_HEADER]: row.type },
      userAgent: 'switchboard-outbox',
      timeoutMs: hook.timeoutMs,
      label: `webhook ${hook.name}`,
      ...(doFetch ? { fetch: doFetch } : {}),
    });
  };
}
