import os from 'node:os';
import path from 'node:path';

/** Benchmark options: `--name=value` arguments override BENCH_* environment variables override defaults. */
export interface BenchOptions {
  /**
   * The database under test: a PostgreSQL server (DATABASE_URL or a fresh database on the local one), or the
   * embedded PGlite the daemon opens without DATABASE_URL, inside the daemon child.
   */
  database: 'postgres' | 'embedded';
  /** Embedded only: the data directory to use (and keep); a kept run prints it. Absent: a temp directory. */
  embeddedDir?: string;
  /** Contacts to preload (about two identities each). */
  contacts: number;
  /** Open-loop steps, events/s. */
  rates: number[];
  /** Closed-loop steps, requests in flight. */
  concurrency: number[];
  /** postgres.js pool sizes of the daemon. The first pool on the first server runs the open loop too. */
  pools: number[];
  /** Where the daemon runs: in a child process (default) or in the load generator's process. */
  servers: ('child' | 'inproc')[];
  /** Daemon children on the one database, the load spread over them in turn (child servers only). */
  instances: number;
  stepSeconds: number;
  warmupSeconds: number;
  /**
   * Load sent to a freshly started daemon before its first step, unmeasured (a closed loop at 16 in flight):
   * V8 optimizes the hot path and every pooled connection prepares its statements, as in a daemon that has
   * run for a while. Without it the first step (250/s) measured a start-up transient.
   */
  daemonWarmupSeconds: number;
  lookups: number;
  /** Keep the database created for the run (and reuse its seed next time via DATABASE_URL). */
  keep: boolean;
  /** Replace the generated parts of docs/benchmarks.md with this run's figures. */
  writeDocs: boolean;
  geo: boolean;
  /** The web app pages at 10,000 leads (bench/web.ts). */
  web: boolean;
  /** pgbench TPC-B-like on a scratch database of the same server, for the decisions/s ÷ tps ratio. */
  pgbench: boolean;
  /** The dashboard's analytics endpoints at 1,000,000 leads (bench/analytics.ts); `--analytics=false` skips. */
  analytics: boolean;
  /** node --cpu-prof for the daemon child process; profiles land in this directory (`--cpu-prof` alone: a temp dir). */
  cpuProfDir?: string;
  seed: number;
}

const SMOKE: Partial<BenchOptions> = {
  contacts: 20_000,
  rates: [200, 500],
  concurrency: [1, 8],
  stepSeconds: 4,
  warmupSeconds: 1,
  daemonWarmupSeconds: 2,
  lookups: 2_000,
  geo: false,
  web: false,
  pgbench: false,
  analytics: false,
};

/**
 * Reads `--name=value` arguments (a bare `--name` is `true`), each also settable as the environment variable
 * BENCH_NAME: the benches' one option syntax (`npm run bench`, `bench/http-floor.ts`).
 */
export function optionReader(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const args = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument "${arg}" (use --name=value)`);
    args.set(m[1]!, m[2] ?? 'true');
  }
  const get = (name: string): string | undefined =>
    args.get(name) ?? env[`BENCH_${name.toUpperCase().replaceAll('-', '_')}`];
  const num = (name: string, fallback: number): number => {
    const v = get(name);
    if (v === undefined) return fallback;
    const n = Number(v.replaceAll('_', ''));
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a number: "${v}"`);
    return n;
  };
  const list = (name: string, fallback: number[]): number[] => {
    const v = get(name);
    if (v === undefined) return fallback;
    if (v.trim() === '') return [];
    return v.split(',').map((s) => {
      const n = Number(s.trim().replaceAll('_', ''));
      if (!Number.isInteger(n) || n <= 0)
        throw new Error(`--${name}: not a list of positive integers: "${v}"`);
      return n;
    });
  };
  /** A switch: absent gives `fallback`; `false` or `0` turns it off, anything else on. */
  const flag = (name: string, fallback: boolean): boolean => {
    const v = get(name);
    return v === undefined ? fallback : v !== 'false' && v !== '0';
  };
  return { has: (name: string) => args.has(name), get, num, list, flag };
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { has, get, num, list, flag } = optionReader(argv, env);
  const smoke = has('smoke') || env.BENCH_SMOKE === '1';
  const database = get('database') ?? 'postgres';
  if (database !== 'postgres' && database !== 'embedded')
    throw new Error(`--database: "postgres" or "embedded", not "${database}"`);
  const embedded = database === 'embedded';
  const defaults: Omit<BenchOptions, 'database'> = {
    // The embedded database is seeded through one socket into WebAssembly: a tenth of the server's dataset.
    contacts: embedded ? 100_000 : 1_000_000,
    rates: [250, 500, 1000, 1500, 2000],
    concurrency: [1, 4, 8, 16, 32, 64, 128],
    pools: [10],
    servers: ['child'],
    instances: 1,
    stepSeconds: 20,
    warmupSeconds: 3,
    daemonWarmupSeconds: 15,
    lookups: 20_000,
    keep: false,
    writeDocs: false,
    geo: true,
    // The web app and analytics benches make their own databases on the PostgreSQL server.
    web: !embedded,
    pgbench: true,
    analytics: !embedded,
    seed: 7,
    ...(smoke ? SMOKE : {}),
  };
  const servers = (get('server') ?? defaults.servers.join(',')).split(',');
  for (const s of servers)
    if (s !== 'child' && s !== 'inproc') throw new Error(`--server: "child" or "inproc", not "${s}"`);
  const cpuProfDir = get('cpu-prof');
  const writeDocs = get('write-docs') === 'true' || get('write-docs') === '1';
  if (smoke && writeDocs) throw new Error('--write-docs with --smoke would replace the documented figures');
  const embeddedDir = get('embedded-dir');
  if (embeddedDir && !embedded) throw new Error('--embedded-dir goes with --database=embedded');
  const pools = list('pools', defaults.pools);
  const instances = Math.max(1, Math.floor(num('instances', defaults.instances)));
  if (embedded && (pools.length > 1 || instances > 1))
    throw new Error(
      '--database=embedded: one daemon with its one connection (no --pools list, no --instances)',
    );
  if (embedded && writeDocs)
    throw new Error('--write-docs with --database=embedded would replace the PostgreSQL figures');
  return {
    database,
    ...(embeddedDir ? { embeddedDir } : {}),
    contacts: num('contacts', defaults.contacts),
    rates: list('rates', defaults.rates),
    concurrency: list('concurrency', defaults.concurrency),
    pools,
    servers: servers as BenchOptions['servers'],
    instances,
    stepSeconds: num('step-seconds', defaults.stepSeconds),
    warmupSeconds: num('warmup-seconds', defaults.warmupSeconds),
    daemonWarmupSeconds: num('daemon-warmup-seconds', defaults.daemonWarmupSeconds),
    lookups: num('lookups', defaults.lookups),
    keep: get('keep') === 'true' || get('keep') === '1',
    writeDocs,
    geo: flag('geo', defaults.geo),
    web: flag('web', defaults.web),
    pgbench: flag('pgbench', defaults.pgbench),
    analytics: flag('analytics', defaults.analytics),
    ...(cpuProfDir
      ? {
          cpuProfDir:
            cpuProfDir === 'true' ? path.join(os.tmpdir(), 'switchboard-bench-profiles') : cpuProfDir,
        }
      : {}),
    seed: num('seed', defaults.seed),
  };
}
