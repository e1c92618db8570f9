import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devNull } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { EXAMPLE_CONFIG_PATH, parseConfig } from '../src/config/load.js';
import { systemClock } from '../src/core/clock.js';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import {
  buildRangeIndex,
  createPhoneRegionResolver,
  type PhoneRegionResolver,
  readNumberingPlanFile,
} from '../src/geo/index.js';
import { createApp } from '../src/http/app.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';

export const BENCH_TOKEN = 'bench-token-0123456789';
/** The MegaFon account of the bench daemon: POST /webhooks/megafon/bench, crm_token = BENCH_TOKEN. */
export const BENCH_PBX_ACCOUNT = 'bench';
const DEF_FILE = fileURLToPath(new URL('../../shared/data/rossvyaz/DEF-9xx.csv', import.meta.url));

export interface BenchServer {
  port: number;
  /**
   * Embedded only: the database's pglite-socket URL, two connections for the load generator (the seed and
   * lookups; the lookup probe's worker).
   */
  databaseUrl?: string;
  close(): Promise<void>;
}

/**
 * The daemon's HTTP intake as src/daemon.ts composes it (createPipeline: identity policy, rule router,
 * processor, telephony; createApp) with the example configuration (its managers are the seeded contacts'
 * responsibles) and the mobile numbering plan when the shared registry file is present, on a server database
 * with a chosen pool size, on loopback. No replay worker or queue assigner: every event is decided by the
 * request that stored it, which is what is measured.
 * With `dataDir` instead of `url`: the embedded database in that directory, opened and migrated as the daemon
 * does without DATABASE_URL (its pool and its lookup connection), plus two socket connections for the load generator.
 */
export async function startBenchServer(
  opts: { url: string; poolSize: number } | { dataDir: string },
): Promise<BenchServer> {
  // The example configuration plus one MegaFon account, whose `contact` command the lookup probe times (the
  // PBX's "who is calling"; nothing calls its baseUrl, a closed port on loopback).
  const text = `${await readFile(EXAMPLE_CONFIG_PATH, 'utf8')}
telephony:
  megafon:
    - { account: ${BENCH_PBX_ACCOUNT}, crmToken: ${BENCH_TOKEN}, baseUrl: "http://127.0.0.1:9", apiKey: bench }
`;
  const config = parseConfig(text, process.env, EXAMPLE_CONFIG_PATH);
  config.api.tokens = [{ name: 'bench', token: BENCH_TOKEN }];
  const db =
    'url' in opts
      ? await openDatabase({ url: opts.url, maxConnections: opts.poolSize })
      : await openDatabase({ dataDir: opts.dataDir, extraConnections: 2 });
  if (db.kind === 'embedded') await migrate(db.sql);
  let resolver: PhoneRegionResolver = createPhoneRegionResolver();
  if (existsSync(DEF_FILE))
    resolver = createPhoneRegionResolver({
      index: buildRangeIndex((await readNumberingPlanFile(DEF_FILE)).ranges),
    });
  const phoneRegions = () => resolver;
  const metrics = createMetrics();
  // Logs as the daemon does (info, one synchronous write per line, as to journald's pipe), into the null device
  // unless BENCH_LOG_FILE names a file: what logging costs is part of what a decision costs.
  const log = createLogger(
    config.log.level,
    pino.destination({ dest: process.env.BENCH_LOG_FILE ?? devNull, sync: true }),
  );
  const deps = { sql: db.sql, config, clock: systemClock, log, metrics };
  const pipeline = createPipeline({
    ...deps,
    phoneRegions,
    ...('url' in opts ? { databaseUrl: opts.url } : {}),
    ...(db.lookupSql ? { lookupSql: db.lookupSql } : {}),
  });
  const { processor, telephony } = pipeline;
  const app = createApp({
    ...deps,
    ...pipeline,
    tokens: config.api.tokens,
    phoneRegions,
    isAccepting: () => true,
  });
  await telephony.start();
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    ...(db.socketUrl ? { databaseUrl: db.socketUrl } : {}),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await processor.drain();
      await telephony.stop();
      await db.close();
    },
  };
}

/**
 * With BENCH_HEAP_SAMPLING=<file.heapprofile>: V8's sampling heap profiler over the daemon's whole life,
 * counting the objects the young and the old generation's collections freed too, so the profile says where
 * the daemon allocates (what its garbage collector then spends its time on), not only what it keeps. With
 * BENCH_HEAP_SAMPLING_PROMOTED=1 as well, what the young generation's collections freed is left out: the profile
 * then says where what outlived the young generation was allocated. The returned function writes the profile
 * (open it in Chrome's DevTools, Memory tab).
 */
async function startHeapSampling(file: string | undefined): Promise<(() => Promise<void>) | undefined> {
  if (!file) return undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env.BENCH_HEAP_SAMPLING_PROMOTED !== '1',
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  };
}

// Child-process mode: `fork(bench/server.ts)` with BENCH_SERVER_URL and BENCH_POOL set (or
// BENCH_SERVER_EMBEDDED_DIR); the port (and the embedded database's socket URL) is sent back over IPC and a
// 'stop' message shuts the server down.
if (process.send && (process.env.BENCH_SERVER_URL || process.env.BENCH_SERVER_EMBEDDED_DIR)) {
  const dataDir = process.env.BENCH_SERVER_EMBEDDED_DIR;
  const server = await startBenchServer(
    dataDir
      ? { dataDir }
      : { url: process.env.BENCH_SERVER_URL!, poolSize: Number(process.env.BENCH_POOL ?? 10) },
  );
  // How late the daemon's event loop ran a 1 ms timer (what a PBX lookup waits for beside the ingest; the
  // figures include the 1 ms itself, an idle loop reads ~1.1 ms), only between 'loop-delay-start' and
  // 'loop-delay', which answers with the percentiles in milliseconds: its timer costs CPU, and only the probed
  // step is to pay for it.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  const heapSampling = await startHeapSampling(process.env.BENCH_HEAP_SAMPLING);
  process.on('message', (msg) => {
    if (msg === 'stop')
      void server
        .close()
        .then(() => heapSampling?.())
        .then(() => process.exit(0));
    else if (msg === 'loop-delay-start') {
      loopDelay.reset();
      loopDelay.enable();
    } else if (msg === 'loop-delay') {
      loopDelay.disable();
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      process.send!({
        loopDelay: {
          count: loopDelay.count,
          p50: ms(loopDelay.percentile(50)),
          p95: ms(loopDelay.percentile(95)),
          p99: ms(loopDelay.percentile(99)),
          max: ms(loopDelay.max),
        },
      });
    }
  });
  process.send({ port: server.port, ...(server.databaseUrl ? { databaseUrl: server.databaseUrl } : {}) });
}
