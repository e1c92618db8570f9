import type { Sql } from 'postgres';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import type { DecisionOutbox } from '../../ingest/processor.js';
import type { Logger } from '../../observability/logger.js';
import { decisionEvents } from './events.js';
import { createOutboxWriter, type OutboxWriter, type SubscriberSpec } from './store.js';
import { webhookDeliver, webhookSubscriber } from './webhooks.js';
import { createOutboxWorker, type Deliver, type OutboxWorker } from './worker.js';

/** A subscriber: which events it takes, and how one is delivered. */
export interface Subscriber {
  spec: SubscriberSpec;
  deliver: Deliver;
}

export interface Outbox {
  writer: OutboxWriter;
  /** For the processor: the events of its decisions, in their transaction. */
  decisions: DecisionOutbox;
  worker: OutboxWorker;
}

/** The configured `webhooks:` as subscribers. */
export function webhookSubscribers(config: Config, clock: Clock, doFetch?: typeof fetch): Subscriber[] {
  return config.webhooks.map((h) => {
    const name = h.name ?? h.url;
    return {
      spec: { name: webhookSubscriber(name), events: h.events },
      deliver: webhookDeliver({ name, url: h.url, secret: h.secret, timeoutMs: h.timeoutMs }, clock, doFetch),
    };
  });
}

/** The outbox: a writer for the transactions that cause events, and the worker that delivers them. */
export function createOutbox(deps: {
  sql: Sql;
  config: Config;
  clock: Clock;
  log: Logger;
  instance: string;
  subscribers: readonly Subscriber[];
  onOutcome?: (subscriber: string, outcome: 'delivered' | 'retry' | 'failed') => void;
}): Outbox {
  const writer = createOutboxWriter(deps.subscribers.map((s) => s.spec));
  const o = deps.config.outbox;
  const worker = createOutboxWorker({
    sql: deps.sql,
    clock: deps.clock,
    log: deps.log,
    instance: deps.instance,
    subscribers: new Map(deps.subscribers.map((s) => [s.spec.name, s.deliver])),
    intervalMs: o.intervalMs,
    leaseMs: o.leaseMs,
    maxAttempts: o.maxAttempts,
    retryBaseMs: o.retryBaseMs,
    retryMaxMs: o.retryMaxMs,
    ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
  });
  const decisions: DecisionOutbox = {
    async record(tx, decided) {
      if (deps.subscribers.length === 0) return;
      await writer.record(tx, await decisionEvents(tx, decided), deps.clock());
    },
    kick: () => worker.kick(),
  };
  return { writer, decisions, worker };
}
