import { Worker } from 'node:worker_threads';
import type { Sql } from 'postgres';
import { findIdentities } from '../src/db/repos/identities.js';
import type { Client } from './load.js';
import type { ProbeData } from './lookup-probe.js';
import { mobileDigits, phoneOf } from './seed.js';
import { type LatencySummary, mulberry32, Samples } from './stats.js';
import { formatPhone } from './workload.js';

export interface LookupResult {
  /** `findIdentities` (the hot path's identity lookup) for one E.164 phone, one at a time. */
  findIdentities: LatencySummary;
  /** GET /api/v1/contacts?phone=<any format>: HTTP, normalization, the read model query. */
  httpByPhone: LatencySummary;
  /** Share of the looked-up phones that were found (all are seeded: anything below 1 is a bug). */
  hitRate: number;
}

/** Times contact lookups by phone over random seeded contacts, sequentially (an idle daemon). */
export async function lookupBench(
  sql: Sql,
  client: Client,
  opts: { contacts: number; lookups: number; seed: number },
): Promise<LookupResult> {
  const random = mulberry32(opts.seed);
  const pick = () => Math.floor(random() * opts.contacts);
  let hits = 0;
  const direct = new Samples();
  for (let n = 0; n < opts.lookups + 200; n++) {
    const t0 = performance.now();
    const rows = await findIdentities(sql, [{ kind: 'phone', value: phoneOf(pick()) }]);
    if (n >= 200) {
      direct.add(performance.now() - t0);
      if (rows.length === 1) hits += 1;
    }
  }
  const viaHttp = new Samples();
  for (let n = 0; n < opts.lookups + 200; n++) {
    const phone = formatPhone(mobileDigits(pick()), n);
    const t0 = performance.now();
    const res = await client.request('GET', `/api/v1/contacts?phone=${encodeURIComponent(phone)}`);
    if (res.status !== 200) throw new Error(`contact lookup answered ${res.status}: ${res.text}`);
    if (n >= 200) viaHttp.add(performance.now() - t0);
  }
  return { findIdentities: direct.summary(), httpByPhone: viaHttp.summary(), hitRate: hits / opts.lookups };
}

/** The contact lookup timed beside a load step, by the worker thread of lookup-probe.ts. */
export interface ProbeResult {
  /** findIdentities on the probe's own connection. */
  sql: LatencySummary;
  /** MegaFon's `contact` command through the daemon. */
  pbx: LatencySummary;
  /** `contact` answers that were `{}`: the lookup ran out of its budget or failed (every probed phone is known). */
  emptyAnswers: number;
}

/**
 * Starts the lookup probe (lookup-probe.ts) in a worker thread: lookups by SQL and PBX `contact` commands, each
 * one after another with a pause of `intervalMs`, while a load step runs, off the load generator's event loop.
 * `stop()` returns the summaries.
 */
export async function lookupProbe(
  opts: ProbeData,
): Promise<{ stop(): Promise<ProbeResult>; end(): Promise<void> }> {
  // tsx's loader hooks are the main thread's: the worker registers its own before it loads TypeScript (resolved
  // here, since an eval'd worker resolves packages from the working directory).
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./lookup-probe.ts', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true, workerData: opts },
  );
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', (cause) => reject(new Error('lookup probe failed', { cause })));
    worker.once('exit', (code) => reject(new Error(`lookup probe exited with code ${code}`)));
  });
  failed.catch(() => {});
  const end = async () => {
    await worker.terminate();
  };
  // Started (TypeScript compiled, connected) before the step begins, so that its start costs the step nothing.
  try {
    await Promise.race([new Promise((resolve) => worker.once('message', resolve)), failed]);
  } catch (err) {
    await end();
    throw err;
  }
  return {
    async stop() {
      const answer = new Promise<{ ok: true } & ProbeResult>((resolve, reject) =>
        worker.once('message', (m: ({ ok: true } & ProbeResult) | { ok: false; error: string }) =>
          m.ok ? resolve(m) : reject(new Error(`lookup probe: ${m.error}`)),
        ),
      );
      worker.postMessage('stop');
      try {
        const { sql, pbx, emptyAnswers } = await Promise.race([answer, failed]);
        return { sql, pbx, emptyAnswers };
      } finally {
        await end();
      }
    },
    /** Ends the worker whatever it is doing (after stop(), or when the step failed). */
    end,
  };
}
