import type { Sql } from 'postgres';
import type { WebhookRoute } from '../../channels/webhook/route.js';
import type { Bitrix24Config } from '../../config/crm.js';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { IdentityPolicy } from '../../identity/identity.js';
import type { Logger } from '../../observability/logger.js';
import type { Subscriber } from '../outbox/index.js';
import type { OutboxWriter } from '../outbox/store.js';
import { createBitrix24Client } from './client.js';
import { bitrix24EventsRoute } from './events-route.js';
import { type Bitrix24Sync, createBitrix24Sync } from './sync.js';
import { BITRIX24_SUBSCRIBER, bitrix24Deliver } from './writer.js';

export interface Bitrix24Connector {
  sync: Bitrix24Sync;
  /** The outbox subscriber that writes leads, comments and statuses to Bitrix24. */
  subscriber: Subscriber;
  /** Mounted like a channel's webhooks: `/webhooks/bitrix24/:account`. */
  webhooks: { name: 'bitrix24'; webhooks: readonly WebhookRoute[] };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The Bitrix24 connector, both ways (docs/crm.md). */
export function createBitrix24(deps: {
  sql: Sql;
  config: Config;
  b24: Bitrix24Config;
  clock: Clock;
  log: Logger;
  policy: IdentityPolicy;
  /** The outbox writer (lead status changes from Bitrix24 are lead.updated events for the other subscribers). */
  outbox: OutboxWriter;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}): Bitrix24Connector {
  const { b24 } = deps;
  const client = createBitrix24Client({
    webhookUrl: b24.webhookUrl,
    clock: deps.clock,
    sleep: deps.sleep ?? realSleep,
    requestsPerSecond: b24.requestsPerSecond,
    burst: b24.burst,
    timeoutMs: b24.timeoutMs,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const sync = createBitrix24Sync({ ...deps, client });
  const onHint = () =>
    void sync
      .processHints()
      .catch((err) => deps.log.warn({ err: errorMessage(err) }, 'bitrix24 hints failed'));
  return {
    sync,
    subscriber: {
      spec: {
        name: BITRIX24_SUBSCRIBER,
        events: ['lead.created', 'lead.updated', 'message.created', 'call.ended'],
      },
      deliver: bitrix24Deliver({
        sql: deps.sql,
        client,
        b24,
        users: sync.users,
        clock: deps.clock,
        log: deps.log,
      }),
    },
    webhooks: {
      name: 'bitrix24',
      webhooks: [bitrix24EventsRoute({ sql: deps.sql, b24, clock: deps.clock, onHint })],
    },
  };
}
