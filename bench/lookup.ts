import type { Sql } from 'postgres';
import { findIdentities } from '../src/db/repos/identities.js';
import type { Client } from './load.js';
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

/**
 * `findIdentities` timed in a loop beside a load step (every `intervalMs`), to see the lookup while the
 * daemon is busy. `stop()` returns the summary.
 */
export function lookupProbe(sql: Sql, opts: { contacts: number; intervalMs: number; seed: number }) {
  const random = mulberry32(opts.seed);
  const samples = new Samples();
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await findIdentities(sql, [{ kind: 'phone', value: phoneOf(Math.floor(random() * opts.contacts)) }]);
      samples.add(performance.now() - t0);
      await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
    }
  })();
  return {
    async stop(): Promise<LatencySummary> {
      running = false;
      await loop;
      return samples.summary();
    },
  };
}
