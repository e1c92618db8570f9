/**
 * Group commit: items submitted while a batch is in flight wait for it to finish and then go together in the
 * next one; an item submitted while nothing is in flight starts a batch at the next turn of the event loop
 * (so the requests that arrived in the same I/O turn share it). There is no timer: at low load every item
 * goes alone and at once, under load batches grow to what arrived during the previous batch, up to `maxBatch`.
 *
 * `run` receives the items in submission order and returns one result per item, in the same order: a batch
 * never fails an item for another item's sake. When `run` itself throws, every item of the batch is rejected
 * with that error.
 */
export interface Batcher<I, O> {
  submit(item: I): Promise<O>;
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>;
}

export type BatchResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

/** A batch whose run did not settle within the batcher's timeout. */
export class BatchTimeoutError extends Error {
  constructor(ms: number) {
    super(`batch did not finish within ${ms} ms`);
  }
}

export function createBatcher<I, O>(opts: {
  maxBatch: number;
  /** A run that has not settled by then rejects its items with BatchTimeoutError; the next batch starts. */
  timeoutMs?: number;
  run(items: I[]): Promise<BatchResult<O>[]>;
}): Batcher<I, O> {
  type Waiting = { item: I; resolve(value: O): void; reject(error: unknown): void };
  const queue: Waiting[] = [];
  let running: Promise<void> | undefined;
  let scheduled = false;

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      try {
        const results = await withTimeout(opts.run(batch.map((w) => w.item)), opts.timeoutMs);
        batch.forEach((w, i) => {
          const r = results[i];
          if (!r) w.reject(new Error('batch returned no result for an item'));
          else if (r.ok) w.resolve(r.value);
          else w.reject(r.error);
        });
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
  }

  function start(): void {
    scheduled = false;
    running = flush().finally(() => {
      running = undefined;
    });
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (running || scheduled) return;
        scheduled = true;
        setImmediate(start);
      });
    },
    async drain() {
      while (running || scheduled) {
        await running;
        if (scheduled) await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BatchTimeoutError(ms)), ms);
  });
  // A run that settles after its timeout is ignored (its rejection too).
  p.catch(() => {});
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
