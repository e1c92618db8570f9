import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { EXAMPLE_CONFIG_PATH, parseConfig } from '../src/config/load.js';
import { systemClock } from '../src/core/clock.js';
import { openDatabase } from '../src/db/connect.js';
import {
  buildRangeIndex,
  createPhoneRegionResolver,
  type PhoneRegionResolver,
  readNumberingPlanFile,
} from '../src/geo/index.js';
import { createApp } from '../src/http/app.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';

export const BENCH_TOKEN = 'bench-token-0123456789';
const DEF_FILE = fileURLToPath(new URL('../../shared/data/rossvyaz/DEF-9xx.csv', import.meta.url));

export interface BenchServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The daemon's HTTP intake as src/daemon.ts composes it (createPipeline: identity policy, rule router,
 * processor, telephony; createApp) with the example configuration (its managers are the seeded contacts'
 * responsibles) and the mobile numbering plan when the shared registry file is present, on a server database
 * with a chosen pool size, on loopback. No replay worker or queue assigner: every event is decided by the
 * request that stored it, which is what is measured.
 */
export async function startBenchServer(opts: { url: string; poolSize: number }): Promise<BenchServer> {
  const config = parseConfig(await readFile(EXAMPLE_CONFIG_PATH, 'utf8'), process.env, EXAMPLE_CONFIG_PATH);
  config.api.tokens = [{ name: 'bench', token: BENCH_TOKEN }];
  const db = await openDatabase({ url: opts.url, maxConnections: opts.poolSize });
  let resolver: PhoneRegionResolver = createPhoneRegionResolver();
  if (existsSync(DEF_FILE))
    resolver = createPhoneRegionResolver({
      index: buildRangeIndex((await readNumberingPlanFile(DEF_FILE)).ranges),
    });
  const phoneRegions = () => resolver;
  const metrics = createMetrics();
  const deps = { sql: db.sql, config, clock: systemClock, log: silentLogger, metrics };
  const pipeline = createPipeline({ ...deps, phoneRegions, databaseUrl: opts.url });
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
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await processor.drain();
      await telephony.stop();
      await db.close();
    },
  };
}

// Child-process mode: `fork(bench/server.ts)` with BENCH_SERVER_URL and BENCH_POOL set; the port is sent
// back over IPC and a 'stop' message shuts the server down.
if (process.send && process.env.BENCH_SERVER_URL) {
  const server = await startBenchServer({
    url: process.env.BENCH_SERVER_URL,
    poolSize: Number(process.env.BENCH_POOL ?? 10),
  });
  process.on('message', (msg) => {
    if (msg === 'stop') void server.close().then(() => process.exit(0));
  });
  process.send({ port: server.port });
}
