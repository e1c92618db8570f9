import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { retryDelayMs } from '../../core/delivery-error.js';
import { errorMessage, SwitchboardError } from '../../core/errors.js';
import { periodic } from '../../core/periodic.js';
import type { Logger } from '../../observability/logger.js';
import { busySubscribers, claimHead, type OutboxRow, settleRow } from './store.js';

/** Delivers one row to its receiver; throws (a `DeliveryError` says whether a retry can help). */
export type Deliver = (row: OutboxRow) => Promise<void>;

export interface OutboxWorkerOptions {
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** This daemon's claim name (several instances share one database). */
  instance: string;
  /** Each subscriber's delivery, by the subscriber name its rows carry. */
  subscribers: ReadonlyMap<string, Deliver>;
  intervalMs: number;
  /** A claim older than this is taken over (its owner died mid-delivery). */
  leaseMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Called after each attempt (metrics). */
  onOutcome?: (subscriber: string, outcome: 'delivered' | 'retry' | 'failed') => void;
}

/**
 * Works off the outbox: per subscriber, the head row is claimed, delivered and settled, then the next one,
 * until the head is not due (it waits for its backoff, so the rows behind it wait too: order is kept).
 * Subscribers are independent: one receiver's outage never holds up another.
 */
export function createOutboxWorker(opts: OutboxWorkerOptions) {
  async function drainSubscriber(name: string, deliver: Deliver): Promise<number> {
    let delivered = 0;
    for (;;) {
      const row = await claimHead(opts.sql, name, opts.instance, opts.clock(), opts.leaseMs);
      if (!row) return delivered;
      const outcome = await attempt(row, deliver);
      opts.onOutcome?.(name, outcome);
      if (outcome !== 'delivered' && outcome !== 'failed') return delivered;
      if (outcome === 'delivered') delivered++;
    }
  }

  async function attempt(row: OutboxRow, deliver: Deliver): Promise<'delivered' | 'retry' | 'failed'> {
    try {
      await deliver(row);
    } catch (err) {
      const retryable = err instanceof SwitchboardError ? err.retryable : true;
      const error = errorMessage(err).slice(0, 500);
      opts.log.warn(
        {
          outboxId: row.id,
          subscriber: row.subscriber,
          type: row.type,
          attempts: row.attempts,
          retryable,
          err: error,
        },
        'outbox delivery attempt failed',
      );
      const now = opts.clock();
      if (!retryable || row.attempts >= opts.maxAttempts) {
        await settleRow(opts.sql, row, opts.instance, now, { status: 'failed', error });
        return 'failed';
      }
      const delay = retryDelayMs(err, row.attempts, opts.retryBaseMs, opts.retryMaxMs);
      await settleRow(opts.sql, row, opts.instance, now, {
        status: 'pending',
        error,
        nextAttemptAt: new Date(now.getTime() + delay),
      });
      return 'retry';
    }
    await settleRow(opts.sql, row, opts.instance, opts.clock(), { status: 'delivered' });
    return 'delivered';
  }

  async function runOnce(): Promise<number> {
    // No webhooks and no connector configured: nothing to deliver, no query.
    if (opts.subscribers.size === 0) return 0;
    const busy = (await busySubscribers(opts.sql)).filter((s) => opts.subscribers.has(s));
    const counts = await Promise.all(busy.map((s) => drainSubscriber(s, opts.subscribers.get(s)!)));
    return counts.reduce((a, b) => a + b, 0);
  }

  const loop = periodic(runOnce, opts.intervalMs, (err) =>
    opts.log.error({ err: errorMessage(err) }, 'outbox worker pass failed'),
  );

  return {
    /** One pass over every subscriber (tests call it with a manual clock). Returns rows delivered. */
    runOnce,
    /** Asks for a pass now (after a commit that wrote rows); ignored while one runs or when stopped. */
    kick: loop.kick,
    start: loop.start,
    stop: loop.stop,
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
