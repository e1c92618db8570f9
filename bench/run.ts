import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';
import { type Database, openDatabase } from '../src/db/connect.js';
import { lacksAutovacuum, vacuumHotTables } from '../src/db/maintenance.js';
import { migrate } from '../src/db/migrate.js';
import { CHROMIUM, hasChromium } from '../test/support/chromium.js';
import { analyticsMarkdown, runAnalyticsBench } from './analytics.js';
import { type CpuSnapshot, cpuPerEvent, cpuSnapshot } from './cpu.js';
import { benchDatabase, DEFAULT_ADMIN_URL, describeServer, embeddedTarget } from './database.js';
import { runGeoBench } from './geo.js';
import { type Client, closedLoop, createClient, openLoop, type StepResult } from './load.js';
import { lookupBench, lookupProbe } from './lookup.js';
import { type BenchOptions, parseOptions } from './options.js';
import { PGBENCH_DEFAULTS, type PgbenchResult, runPgbench } from './pgbench.js';
import {
  type CoreBenchResult,
  coreMarkdown,
  geoMarkdown,
  judge,
  type RunResult,
  writeDocsSection,
} from './report.js';
import { phoneOf, seed } from './seed.js';
import { BENCH_PBX_ACCOUNT, BENCH_TOKEN, type BenchServer, startBenchServer } from './server.js';
import type { LatencySummary } from './stats.js';
import { runWebBench, webMarkdown } from './web.js';
import { createWorkload } from './workload.js';

const log = (line: string) => console.error(`[bench] ${line}`);
const DOCS = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const SERVER_ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url));

/** Starts the daemon's HTTP intake in a child process (its own event loop) or in this process. */
async function launch(
  mode: 'child' | 'inproc',
  db: { url: string } | { dataDir: string },
  pool: number,
  opts: BenchOptions,
) {
  const target = 'url' in db ? { url: db.url, poolSize: pool } : db;
  if (mode === 'inproc') return { ...(await startBenchServer(target)), pid: undefined, loopDelay: undefined };
  const execArgv = [
    ...process.execArgv,
    ...(process.env.BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
  if (opts.cpuProfDir) {
    await mkdir(opts.cpuProfDir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  }
  const child = fork(SERVER_ENTRY, [], {
    execArgv,
    env: {
      ...process.env,
      ...('url' in db
        ? { BENCH_SERVER_URL: db.url, BENCH_POOL: String(pool) }
        : { BENCH_SERVER_EMBEDDED_DIR: db.dataDir }),
    },
  });
  const ready = await new Promise<{ port: number; databaseUrl?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number; databaseUrl?: string }));
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    ...ready,
    pid: child.pid,
    /** Starts timing the daemon's event loop delay (bench/server.ts); the returned function stops and reads it. */
    loopDelay: (): (() => Promise<LatencySummary>) => {
      child.send('loop-delay-start');
      return () =>
        new Promise<LatencySummary>((resolve, reject) => {
          const onMessage = (m: unknown) => {
            if (typeof m !== 'object' || m === null || !('loopDelay' in m)) return;
            done();
            resolve((m as { loopDelay: LatencySummary }).loopDelay);
          };
          const onExit = (code: number | null) => {
            done();
            reject(new Error(`bench server exited with ${code} before it reported its event loop delay`));
          };
          const done = () => {
            child.off('message', onMessage);
            child.off('exit', onExit);
          };
          child.on('message', onMessage);
          child.once('exit', onExit);
          child.send('loop-delay', (err) => {
            if (err) {
              done();
              reject(err);
            }
          });
        });
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  } satisfies BenchServer & { pid: number | undefined; loopDelay?: () => () => Promise<LatencySummary> };
}

/** What the embedded database's figures depend on beyond its settings: the WebAssembly compiler tier. */
function describeEmbedded(): Record<string, string> {
  return {
    wasm_tier:
      process.env.SWITCHBOARD_EMBEDDED_WASM === 'optimize' ? 'optimizing' : 'baseline (--liftoff-only)',
  };
}

function withCpu(s: StepResult, a: CpuSnapshot, b: CpuSnapshot): StepResult {
  const cpu = cpuPerEvent(a, b, s.completed);
  return cpu ? { ...s, cpu } : s;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2), process.env);
  const loadAverage = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  // Embedded: the database lives in the daemon child (its one pool and its lookup connection); this process
  // reaches it through one more pglite-socket connection while a child runs, for the seed, lookups and probes.
  const embedded = opts.database === 'embedded' ? await embeddedTarget(opts.embeddedDir) : undefined;
  const target = embedded ? undefined : await benchDatabase(process.env.DATABASE_URL);
  let db: Database | undefined = target
    ? await openDatabase({ url: target.url, maxConnections: 4 })
    : undefined;
  const dbName = target ? new URL(target.url).pathname.slice(1) : `the embedded database in ${embedded!.dir}`;
  const runId = randomBytes(3).toString('hex');
  const prepare = async (sql: Sql): Promise<CoreBenchResult['dataset']> => {
    // The embedded database was migrated by the daemon child as it opened it, as the daemon does.
    if (!embedded) await migrate(sql);
    const [row] = await sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM identities WHERE kind = 'phone' AND value IN (${phoneOf(0)}, ${phoneOf(opts.contacts - 1)})`;
    if (row?.n === 2) {
      log(
        `${target ? `database ${dbName}` : dbName} already holds the ${opts.contacts} bench contacts: reused`,
      );
      return { reused: true, contacts: opts.contacts };
    }
    // COPY FROM STDIN does not pass through pglite-socket: the embedded database gets the rows by INSERT.
    log(`seeding ${opts.contacts} contacts into ${dbName} by ${embedded ? 'INSERT' : 'COPY'}`);
    const seeded = await seed(sql, opts.contacts, log, embedded ? 'insert' : 'copy');
    log(
      `seeded in ${(seeded.loadMs / 1000).toFixed(1)} s, VACUUM ANALYZE ${(seeded.analyzeMs / 1000).toFixed(1)} s`,
    );
    return seeded;
  };
  try {
    let dataset = db ? await prepare(db.sql) : undefined;
    let described: Record<string, string> | undefined;

    const workload = createWorkload({ contacts: opts.contacts, seed: opts.seed, runId });
    const next = () => workload.next();
    const warmupMs = opts.warmupSeconds * 1000;
    const durationMs = opts.stepSeconds * 1000;
    const runs: RunResult[] = [];
    let lookup: CoreBenchResult['lookup'] | undefined;

    // The yardstick before the pipeline's steps and again after them (never beside them: the two would compete for
    // the cores); the faster of the two is the one the ratio is taken against.
    if (opts.pgbench && embedded)
      log('pgbench: skipped, it needs a PostgreSQL server (the embedded database has none)');
    const yardstick = async (when: 'before' | 'after') => {
      const result = opts.pgbench && !embedded ? await runPgbench(PGBENCH_DEFAULTS, log) : undefined;
      if (result)
        log(
          `pgbench ${when} the steps: ${result.tps} tps${result.cpu ? `, the cores ${Math.round(result.cpu.busyShare * 100)} % busy, ${result.cpu.msPerTransaction} ms of CPU per transaction` : ''}`,
        );
      return result ? [{ when, result }] : [];
    };
    const pgbenchRuns = await yardstick('before');

    if (opts.instances > 1 && opts.servers.includes('inproc'))
      throw new Error('--instances runs daemon child processes: use it with --server=child');
    for (const mode of opts.servers) {
      for (const pool of opts.pools) {
        const servers = await Promise.all(
          Array.from({ length: opts.instances }, () =>
            launch(mode, target ? { url: target.url } : { dataDir: embedded!.dir }, pool, opts),
          ),
        );
        const pids = servers.flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
        const client: Client = createClient({
          ports: servers.map((s) => s.port),
          token: BENCH_TOKEN,
          maxSockets: 1024,
        });
        const run: RunResult = {
          server: mode,
          // The embedded database always has exactly one connection for the daemon's work.
          pool: embedded ? 1 : pool,
          ...(opts.instances > 1 ? { instances: opts.instances } : {}),
          open: [],
          closed: [],
        };
        try {
          if (embedded) {
            db = await openDatabase({ url: servers[0]!.databaseUrl!, maxConnections: 1 });
            dataset ??= await prepare(db.sql);
            described ??= { ...(await describeServer(db.sql)), ...describeEmbedded() };
          }
          const sql = db!.sql;
          // Where nothing vacuums and analyzes (PGlite; this machine's server, autovacuum = off in its CI
          // config) the daemon does it every 10 minutes (src/db/maintenance.ts); the bench's daemon does not
          // run that worker, so the runner does the same pass before every step instead, as autovacuum keeps
          // a production server's statistics current.
          const maintain = (await lacksAutovacuum(sql, embedded ? 'embedded' : 'postgres'))
            ? async () => {
                const t0 = performance.now();
                await vacuumHotTables(sql);
                log(
                  `VACUUM (ANALYZE) of the hot tables before the step: ${Math.round(performance.now() - t0)} ms`,
                );
              }
            : async () => {};
          // No PostgreSQL process to read CPU from: the embedded database works inside the daemon child.
          const cpuSql = embedded ? undefined : sql;
          if (!lookup) {
            log(`lookups: ${opts.lookups} by findIdentities, ${opts.lookups} by GET /api/v1/contacts`);
            lookup = await lookupBench(sql, client, {
              contacts: opts.contacts,
              lookups: opts.lookups,
              seed: opts.seed,
            });
          }
          if (opts.daemonWarmupSeconds > 0) {
            log(`warming the daemon up: ${opts.daemonWarmupSeconds} s at 16 in flight, not measured`);
            await closedLoop(client, next, {
              concurrency: 16,
              warmupMs: 0,
              durationMs: opts.daemonWarmupSeconds * 1000,
            });
          }
          const step = (s: StepResult) => {
            log(
              `${mode} pool ${run.pool} ${s.mode} ${s.load}: ${s.eventsPerSecond} ev/s, p50 ${s.latency.p50} p99 ${s.latency.p99} ms${s.sendDelay ? ` (sent late by p50 ${s.sendDelay.p50} p99 ${s.sendDelay.p99} ms)` : ''}, errors ${s.errors}, shed ${s.shed}, CPU ms/event ${JSON.stringify(s.cpu)}${s.errorSamples.length > 0 ? `; errors: ${s.errorSamples.join(' | ')}` : ''}`,
            );
            return s;
          };
          if (runs.length === 0) {
            const probeAt = opts.rates.reduce<number | undefined>(
              (a, b) => (a === undefined || Math.abs(b - 1000) < Math.abs(a - 1000) ? b : a),
              undefined,
            );
            for (const rate of opts.rates) {
              await maintain();
              await openLoop(client, next, { rate, warmupMs: 0, durationMs: warmupMs, maxInFlight: 2_000 });
              // In a worker thread, on its own connection and socket: the PBX is not the load generator.
              const probe =
                rate === probeAt
                  ? await lookupProbe({
                      databaseUrl: embedded ? servers[0]!.databaseUrl! : target!.url,
                      ports: servers.map((s) => s.port),
                      token: BENCH_TOKEN,
                      pbxAccount: BENCH_PBX_ACCOUNT,
                      contacts: opts.contacts,
                      intervalMs: 5,
                      seed: rate,
                    })
                  : undefined;
              try {
                const loopDelay = probe ? servers[0]!.loopDelay?.() : undefined;
                const before = await cpuSnapshot(cpuSql, pids);
                const s = await openLoop(client, next, { rate, warmupMs: 0, durationMs, maxInFlight: 2_000 });
                run.open.push(step(withCpu(s, before, await cpuSnapshot(cpuSql, pids))));
                if (probe) {
                  const { sql: latency, pbx, emptyAnswers } = await probe.stop();
                  const daemonLoopDelay = await loopDelay?.();
                  run.lookupUnderLoad = {
                    rate,
                    latency,
                    pbx,
                    emptyAnswers,
                    ...(daemonLoopDelay ? { daemonLoopDelay } : {}),
                  };
                }
              } finally {
                await probe?.end();
              }
            }
          }
          for (const concurrency of opts.concurrency) {
            await maintain();
            await closedLoop(client, next, { concurrency, warmupMs: 0, durationMs: warmupMs });
            const before = await cpuSnapshot(cpuSql, pids);
            const s = await closedLoop(client, next, { concurrency, warmupMs: 0, durationMs });
            run.closed.push(step(withCpu(s, before, await cpuSnapshot(cpuSql, pids))));
          }
        } finally {
          client.close();
          if (embedded) {
            await db?.close();
            db = undefined;
          }
          await Promise.all(servers.map((s) => s.close()));
        }
        runs.push(run);
      }
    }

    pgbenchRuns.push(...(await yardstick('after')));
    const faster = pgbenchRuns.reduce<PgbenchResult | undefined>(
      (best, { result }) => (best && best.tps >= result.tps ? best : result),
      undefined,
    );
    const pgbench = faster && { ...faster, runs: pgbenchRuns };

    const cpus = os.cpus();
    const result: CoreBenchResult = {
      bench: 'core',
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`,
        node: process.versions.node,
        loadAverage,
        loadAverageAfter: os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
      },
      ...(embedded ? { database: 'embedded' as const } : {}),
      postgres: described ?? (await describeServer(db!.sql)),
      dataset: dataset!,
      lookup: lookup!,
      runs,
      targets: judge(lookup!, runs, pgbench),
      ...(pgbench ? { pgbench } : {}),
    };
    console.log(coreMarkdown(result));
    const geo = opts.geo ? await runGeoBench() : undefined;
    if (geo) console.log(`\n${geoMarkdown(geo)}`);
    const web = opts.web
      ? await runWebBench({
          adminUrl: DEFAULT_ADMIN_URL,
          ...(hasChromium() ? { chromium: CHROMIUM } : {}),
        })
      : undefined;
    if (web) console.log(`\n${webMarkdown(web)}`);
    const analytics = opts.analytics ? await runAnalyticsBench({ adminUrl: DEFAULT_ADMIN_URL }) : undefined;
    if (analytics) console.log(`\n${analyticsMarkdown(analytics)}`);
    console.log(
      `\n${JSON.stringify({ ...result, ...(geo ? { geo } : {}), ...(web ? { web } : {}), ...(analytics ? { analytics } : {}) })}`,
    );
    if (opts.writeDocs) {
      await writeDocsSection(DOCS, '## Core pipeline', 'core', coreMarkdown(result));
      if (geo) await writeDocsSection(DOCS, '## Geo', 'geo', geoMarkdown(geo));
      if (web) await writeDocsSection(DOCS, '## Web app', 'web', webMarkdown(web));
      if (analytics)
        await writeDocsSection(DOCS, '## Dashboard analytics', 'analytics', analyticsMarkdown(analytics));
      log(`figures written to ${DOCS}`);
    }
  } finally {
    await db?.close();
    if (target) {
      if (target.created && !opts.keep) await target.drop();
      else if (target.created) log(`kept: DATABASE_URL=${target.url}`);
    } else if (embedded) {
      if (embedded.created && !opts.keep) await embedded.drop();
      else if (embedded.created) log(`kept: BENCH_EMBEDDED_DIR=${embedded.dir}`);
    }
  }
}

// `npm run bench -- memory`: memory and start time of the daemon process (bench/memory.ts).
// `npm run bench -- analytics [--write-docs]`: the dashboard's analytics at 1,000,000 leads alone.
if (process.argv[2] === 'memory') await (await import('./memory.js')).runMemoryBench(process.argv.slice(3));
// `npm run bench -- bitrix24 [contacts]`: a Bitrix24 full load from the loopback fake (bench/bitrix24-load.ts).
else if (process.argv[2] === 'bitrix24')
  await (await import('./bitrix24-load.js')).main(process.argv.slice(3));
else if (process.argv[2] === 'analytics') {
  // BENCH_ANALYTICS_URL: a database a kept run seeded (BENCH_KEEP=1), reused without seeding again.
  const reuseUrl = process.env.BENCH_ANALYTICS_URL;
  const result = await runAnalyticsBench({
    adminUrl: DEFAULT_ADMIN_URL,
    ...(reuseUrl ? { reuseUrl } : {}),
    keep: process.env.BENCH_KEEP === '1',
  });
  console.log(analyticsMarkdown(result));
  if (process.argv.includes('--write-docs'))
    await writeDocsSection(DOCS, '## Dashboard analytics', 'analytics', analyticsMarkdown(result));
} else await main();
