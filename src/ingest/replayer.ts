import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { countPending, dueEvents } from './inbound-store.js';
import type { Processor } from './processor.js';

export interface ReplayerOptions {
  sql: Sql;
  processor: Processor;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  intervalMs: number;
  graceMs: number;
  batchSize?: number;
}

/**
 * Finishes what a crash or a failure left pending: at start (with no grace: nothing is in flight yet) and
 * then every `intervalMs`. Several daemons may run it on one database: claims use SKIP LOCKED.
 */
export function createReplayer(opts: ReplayerOptions) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopping = false;

  async function runOnce(graceMs = opts.graceMs): Promise<number> {
    let processed = 0;
    for (;;) {
      const ids = await dueEvents(opts.sql, opts.clock(), graceMs, opts.batchSize ?? 100);
      if (stopping) break;
      // Submitted together, in receive order: the processor decides them in batches, in that order.
      const outcomes = await Promise.all(ids.map((id) => opts.processor.process(id)));
      const progressed = outcomes.filter((o) => o.status === 'processed').length;
      processed += progressed;
      if (ids.length < (opts.batchSize ?? 100) || progressed === 0 || stopping) break;
    }
    opts.metrics.pending.set(await countPending(opts.sql));
    return processed;
  }

  function tick(): void {
    if (stopping || running) return;
    running = runOnce()
      .catch((err) => {
        opts.log.error({ err: errorMessage(err) }, 'replay pass failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  }

  return {
    /** Processes everything pending now (no grace period), then keeps polling. */
    async start(): Promise<number> {
      stopping = false;
      const n = await runOnce(0);
      if (n > 0) opts.log.info({ events: n }, 'replayed inbound events left pending');
      timer = setInterval(tick, opts.intervalMs);
      timer.unref();
      return n;
    },
    runOnce,
    async stop(): Promise<void> {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
