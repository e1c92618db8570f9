import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildRangeIndex, createPhoneRegionResolver, readNumberingPlanFile } from '../src/geo/index.js';
import { mulberry32 } from './stats.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** Options of the geo benchmark; the defaults are what `npx tsx bench/geo.ts` runs. */
export interface GeoBenchOptions {
  /** Registry file to index; defaults to the shared DEF-9xx.csv beside the checkout. */
  file?: string;
  /** Lookups per measured loop. */
  lookups?: number;
  /** Distinct random numbers, cycled through until `lookups` is reached. */
  poolSize?: number;
  seed?: number;
}

/** Figures of one benchmark run. */
export interface GeoBenchResult {
  bench: 'geo';
  file: string;
  rows: number;
  entries: number;
  parseMs: number;
  buildMs: number;
  lookups: number;
  /** Raw `RangeIndex.lookup` over random +79XXXXXXXXX numbers. */
  lookupsPerSecond: number;
  /** `PhoneRegionResolver.resolve` (index, fallback, result object) over the same numbers. */
  resolvesPerSecond: number;
  /** Share of the random numbers that fall in an indexed range. */
  hitRate: number;
}

/** Builds the index from the real DEF file and measures lookups/s over random mobile numbers. */
export async function runGeoBench(options: GeoBenchOptions = {}): Promise<GeoBenchResult> {
  const file = options.file ?? path.resolve(repoRoot, '../shared/data/rossvyaz/DEF-9xx.csv');
  const lookups = options.lookups ?? 5_000_000;
  const poolSize = Math.min(options.poolSize ?? 1_000_000, lookups);

  let started = performance.now();
  const parsed = await readNumberingPlanFile(file);
  const parseMs = performance.now() - started;
  started = performance.now();
  const index = buildRangeIndex(parsed.ranges);
  const buildMs = performance.now() - started;
  const resolver = createPhoneRegionResolver({ index });

  const random = mulberry32(options.seed ?? 42);
  const pool = Array.from(
    { length: poolSize },
    () => `+79${String(Math.floor(random() * 1e9)).padStart(9, '0')}`,
  );

  const measure = (fn: (e164: string) => unknown): { perSecond: number; hits: number } => {
    let hits = 0;
    for (const e164 of pool) if (fn(e164) !== undefined) hits += 1; // warm-up pass
    hits = 0;
    const t0 = performance.now();
    for (let i = 0, j = 0; i < lookups; i++, j = j + 1 === poolSize ? 0 : j + 1) {
      if (fn(pool[j]!) !== undefined) hits += 1;
    }
    return { perSecond: lookups / ((performance.now() - t0) / 1000), hits };
  };
  const raw = measure((e164) => index.lookup(e164));
  const full = measure((e164) => resolver.resolve(e164));

  return {
    bench: 'geo',
    file: path.basename(file),
    rows: parsed.stats.rows,
    entries: index.stats.entries,
    parseMs: round(parseMs),
    buildMs: round(buildMs),
    lookups,
    lookupsPerSecond: Math.round(raw.perSecond),
    resolvesPerSecond: Math.round(full.perSecond),
    hitRate: round(raw.hits / lookups, 4),
  };
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(JSON.stringify(await runGeoBench()));
}
