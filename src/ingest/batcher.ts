/**
 * Group commit: items submitted while a batch is in flight wait for it to finish and then go together in the
 * next one; an item submitted while nothing is in flight starts a batch at the next turn of the event loop
 * (so the requests that arrived in the same I/O turn share it). There is no timer for gathering: at low load
 * every item goes alone and at once, under load batches grow to what arrived during the previous batch, up to
 * `maxBatch`. One batch is in flight at a time.
 *
 * `run` receives the items in submission order and returns one result per item, in the same order: a batch
 * never fails an item for another item's sake. When `run` itself throws, every item of the batch is rejected
 * with that error.
 *
 * With `timeoutMs`, a batch whose `run` has not settled in time is given up: every item of it is rejected with
 * a `BatchTimeoutError`, `signal` is aborted, and the next batch starts. Whatever that run settles with later is
 * ignored. So one stuck run (a query that never returns after a database restart) costs its own items an error,
 * never the items behind it. Note that a given-up run may still have its effect (a write may commit later):
 * callers must make a retry of a timed-out item harmless.
 */
export interface Batcher<I, O> {
  /** Resolves with this item's result, or rejects with its error (or the batch's, or a BatchTimeoutError). */
  submit(item: I): Promise<O>;
  /**
   * Resolves when nothing is queued or in flight. A run that timed out no longer counts as in flight: drain
   * does not wait for it to settle.
   */
  drain(): Promise<void>;
}

export type BatchResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface BatcherOptions<I, O> {
  /** At most this many items per batch. */
  maxBatch: number;
  /** Give a batch up when its `run` has not settled within this many milliseconds. Absent: wait forever. */
  timeoutMs?: number;
  /**
   * Processes one batch. `signal` is aborted (with the BatchTimeoutError) when the batch is given up, so a run
   * can stop starting new work; its items are already rejected by then.
   */
  run(items: readonly I[], ctx: { signal: AbortSignal }): Promise<BatchResult<O>[]>;
}

/**
 * A batch's `run` did not settle within `timeoutMs`. Its code makes `isDatabaseUnavailable` treat it as the
 * database being away (503 + Retry-After, no failed attempt counted): every run of this module's users is a
 * database round trip, and one that never answers is a stalled connection.
 */
export class BatchTimeoutError extends Error {
  readonly code = 'BATCH_TIMEOUT';
  constructor(
    readonly timeoutMs: number,
    readonly batchSize: number,
  ) {
    super(`a batch of ${batchSize} did not finish within ${timeoutMs} ms`);
    this.name = 'BatchTimeoutError';
  }
}

export function createBatcher<I, O>(opts: BatcherOptions<I, O>): Batcher<I, O> {
  if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1)
    throw new RangeError(`maxBatch must be a positive integer, got ${opts.maxBatch}`);
  if (opts.timeoutMs !== undefined && !(opts.timeoutMs > 0))
    throw new RangeError(`timeoutMs must be positive, got ${opts.timeoutMs}`);
  type Waiting = { item: I; resolve(value: O): void; reject(error: unknown): void };
  const queue: Waiting[] = [];
  let running: Promise<void> | undefined;
  let scheduled = false;

  /** Runs one batch; resolves when its items are settled (by its results, its error, or the timeout). */
  function runBatch(batch: Waiting[]): Promise<void> {
    return new Promise<void>((done) => {
      const controller = new AbortController();
      let over = false;
      const finish = (settle: () => void) => {
        if (over) return; // the other side (results or timeout) came first
        over = true;
        if (timer) clearTimeout(timer);
        settle();
        done();
      };
      const timeoutMs = opts.timeoutMs;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () =>
                finish(() => {
                  const error = new BatchTimeoutError(timeoutMs, batch.length);
                  controller.abort(error);
                  for (const w of batch) w.reject(error);
                }),
              timeoutMs,
            );
      // A run that throws synchronously is treated like one that rejects.
      Promise.resolve()
        .then(() =>
          opts.run(
            batch.map((w) => w.item),
            { signal: controller.signal },
          ),
        )
        .then(
          (results) =>
            finish(() =>
              batch.forEach((w, i) => {
                const r = results[i];
                if (!r) w.reject(new Error('batch returned no result for an item'));
                else if (r.ok) w.resolve(r.value);
                else w.reject(r.error);
              }),
            ),
          (error: unknown) =>
            finish(() => {
              for (const w of batch) w.reject(error);
            }),
        );
    });
  }

  /** Starts the next batch, or marks the batcher idle in the same step that finds the queue empty. */
  function pump(): void {
    scheduled = false;
    if (queue.length === 0) {
      running = undefined;
      return;
    }
    running = runBatch(queue.splice(0, opts.maxBatch)).then(pump);
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (running || scheduled) return;
        scheduled = true;
        setImmediate(pump);
      });
    },
    async drain() {
      while (running || scheduled) {
        if (running) await running;
        else await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}
