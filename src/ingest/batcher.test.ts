import { afterEach, describe, expect, it, vi } from 'vitest';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { type BatchResult, BatchTimeoutError, createBatcher } from './batcher.js';

/** A promise with its settle functions, to hold a batch in flight for as long as a test wants. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const doubled = (items: readonly number[]): BatchResult<number>[] =>
  items.map((n) => ({ ok: true, value: n * 2 }));

afterEach(() => {
  vi.useRealTimers();
});

describe('createBatcher', () => {
  it('items submitted in one turn go together; those arriving during a batch form the next one', async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const batcher = createBatcher<number, number>({
      maxBatch: 10,
      async run(items) {
        batches.push([...items]);
        const gate = deferred<void>();
        gates.push(gate);
        await gate.promise;
        return doubled(items);
      },
    });
    const first = [1, 2, 3].map((n) => batcher.submit(n));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    // While the first batch is in flight, these wait, then go together.
    const second = [4, 5].map((n) => batcher.submit(n));
    await new Promise((r) => setImmediate(r));
    expect(batches).toHaveLength(1);
    gates[0]!.resolve();
    expect(await Promise.all(first)).toEqual([2, 4, 6]);
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    gates[1]!.resolve();
    expect(await Promise.all(second)).toEqual([8, 10]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('splits at maxBatch, keeping submission order', async () => {
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>({
      maxBatch: 2,
      async run(items) {
        batches.push([...items]);
        return doubled(items);
      },
    });
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n)))).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('gives each item its own result: one failure fails only its item', async () => {
    const bad = new Error('bad item');
    const batcher = createBatcher<number, number>({
      maxBatch: 10,
      async run(items) {
        return items.map((n) => (n === 2 ? { ok: false, error: bad } : { ok: true, value: n * 2 }));
      },
    });
    const settled = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: bad },
      { status: 'fulfilled', value: 6 },
    ]);
  });

  it('rejects an item run() returned no result for', async () => {
    const batcher = createBatcher<number, number>({
      maxBatch: 10,
      async run(items) {
        return doubled(items).slice(0, 1);
      },
    });
    const settled = await Promise.allSettled([1, 2].map((n) => batcher.submit(n)));
    expect(settled[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: /no result/ } });
  });

  it('run() throwing (or rejecting) rejects every item of that batch, and the next batch still runs', async () => {
    const boom = new Error('boom');
    let calls = 0;
    const batcher = createBatcher<number, number>({
      maxBatch: 10,
      run(items) {
        calls++;
        if (calls === 1) throw boom; // synchronously, not even a promise
        if (calls === 2) return Promise.reject(boom);
        return Promise.resolve(doubled(items));
      },
    });
    expect(await Promise.allSettled([batcher.submit(1), batcher.submit(2)])).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'rejected', reason: boom },
    ]);
    await expect(batcher.submit(3)).rejects.toBe(boom);
    expect(await batcher.submit(4)).toBe(8);
  });

  it('a batch that does not settle in timeoutMs is rejected with BatchTimeoutError and the next one proceeds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const stuck = deferred<BatchResult<number>[]>();
    const signals: AbortSignal[] = [];
    const batches: number[][] = [];
    const batcher = createBatcher<number, number>({
      maxBatch: 10,
      timeoutMs: 1_000,
      run(items, { signal }) {
        batches.push([...items]);
        signals.push(signal);
        // The first batch never answers (a query on a dead connection); the others do.
        return batches.length === 1 ? stuck.promise : Promise.resolve(doubled(items));
      },
    });
    const first = [1, 2].map((n) => batcher.submit(n));
    const firstSettled = Promise.allSettled(first);
    await new Promise((r) => setImmediate(r)); // (vi.waitFor would move the fake clock)
    expect(batches).toHaveLength(1);
    const behind = batcher.submit(3); // queued behind the stuck batch
    await vi.advanceTimersByTimeAsync(999);
    expect(batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);

    const settled = await firstSettled;
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      const reason = (s as PromiseRejectedResult).reason as BatchTimeoutError;
      expect(reason).toBeInstanceOf(BatchTimeoutError);
      expect(reason).toMatchObject({ code: 'BATCH_TIMEOUT', timeoutMs: 1_000, batchSize: 2 });
      // Mapped like a database outage: 503 + Retry-After, no failed attempt counted.
      expect(isDatabaseUnavailable(reason)).toBe(true);
    }
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(BatchTimeoutError);
    expect(await behind).toBe(6);
    expect(signals[1]!.aborted).toBe(false);

    // The stuck run answering late changes nothing (its items were rejected already), nor does it throw.
    stuck.resolve(doubled([1, 2]));
    await vi.advanceTimersByTimeAsync(0);
    expect(await batcher.submit(4)).toBe(8);
  });

  it('a batch that settles in time clears its watchdog', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const batcher = createBatcher<number, number>({
      maxBatch: 10,
      timeoutMs: 1_000,
      run: async (items) => doubled(items),
    });
    expect(await batcher.submit(1)).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('drain resolves once nothing is queued or in flight, and at once when idle', async () => {
    await createBatcher<number, number>({ maxBatch: 1, run: async (i) => doubled(i) }).drain();

    const gate = deferred<void>();
    const done: number[] = [];
    const batcher = createBatcher<number, number>({
      maxBatch: 1,
      async run(items) {
        await gate.promise;
        return doubled(items);
      },
    });
    for (const n of [1, 2, 3]) void batcher.submit(n).then((v) => done.push(v));
    let drained = false;
    const draining = batcher.drain().then(() => {
      drained = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    gate.resolve();
    await draining;
    expect(done).toEqual([2, 4, 6]);
  });

  it('drain does not wait for a run that timed out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const batcher = createBatcher<number, number>({
      maxBatch: 10,
      timeoutMs: 50,
      run: () => new Promise<never>(() => {}),
    });
    const item = batcher.submit(1).catch((e: unknown) => e);
    const draining = batcher.drain();
    await vi.advanceTimersByTimeAsync(50);
    await draining;
    expect(await item).toBeInstanceOf(BatchTimeoutError);
  });

  it('refuses a nonsensical configuration', () => {
    const run = async (items: readonly number[]) => doubled(items);
    expect(() => createBatcher({ maxBatch: 0, run })).toThrow(RangeError);
    expect(() => createBatcher({ maxBatch: 1, timeoutMs: 0, run })).toThrow(RangeError);
  });
});
