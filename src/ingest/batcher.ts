/**
 * Group commit: items submitted while a batch is in flight wait for it (for its `admitNext`, with lanes) and
 * then go together in the next one; an item submitted while nothing is in flight starts a batch at the next turn of the event loop
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

export function createBatcher<I, O>(opts: {
  maxBatch: number;
  /**
   * Batches that may be in flight at once (default 1). The next batch starts only when the one before it
   * calls `admitNext` (or finishes): that is how a batch keeps an order with the one after it.
   */
  lanes?: number;
  run(items: I[], admitNext: () => void): Promise<BatchResult<O>[]>;
}): Batcher<I, O> {
  type Waiting = { item: I; resolve(value: O): void; reject(error: unknown): void };
  const queue: Waiting[] = [];
  const lanes = opts.lanes ?? 1;
  const running = new Set<Promise<void>>();
  // A batch is in flight that has not admitted the next one yet.
  let gated = false;
  let scheduled = false;

  function pump(): void {
    scheduled = false;
    if (gated || queue.length === 0 || running.size >= lanes) return;
    const batch = queue.splice(0, opts.maxBatch);
    gated = true;
    let admitted = false;
    const admitNext = () => {
      if (admitted) return;
      admitted = true;
      gated = false;
      pump();
    };
    const done: Promise<void> = opts
      .run(
        batch.map((w) => w.item),
        admitNext,
      )
      .then(
        (results) =>
          batch.forEach((w, i) => {
            const r = results[i];
            if (!r) w.reject(new Error('batch returned no result for an item'));
            else if (r.ok) w.resolve(r.value);
            else w.reject(r.error);
          }),
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      )
      .finally(() => {
        running.delete(done);
        admitNext();
        pump();
      });
    running.add(done);
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (scheduled || gated || running.size >= lanes) return;
        scheduled = true;
        setImmediate(pump);
      });
    },
    async drain() {
      while (running.size > 0 || scheduled || queue.length > 0) {
        await Promise.all([...running]);
        await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}
