import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { configSchema } from '../src/config/schema.js';
import { systemClock } from '../src/core/clock.js';
import { openDatabase } from '../src/db/connect.js';
import { createApp } from '../src/http/app.js';
import { createIdentityPolicy } from '../src/identity/identity.js';
import { createProcessor } from '../src/ingest/processor.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createStickyRouter } from '../src/routing/sticky-router.js';

export const BENCH_TOKEN = 'bench-token-0123456789';

/** The configuration the benchmark daemon runs with; seeded responsibles are these managers. */
export const benchConfig = configSchema.parse({
  api: { tokens: [{ name: 'bench', token: BENCH_TOKEN }] },
  company: {
    phones: ['8 (800) 555-35-35'],
    emails: ['sales@mebel-fabrika.ru'],
    domains: ['mebel-fabrika.ru'],
  },
  managers: [
    { login: 'ivanov', name: 'Иван Иванов' },
    { login: 'petrova', name: 'Мария Петрова' },
    { login: 'sidorov', name: 'Пётр Сидоров' },
    { login: 'head', name: 'Анна Руководитель' },
  ],
  teams: [
    { id: 'partners', name: 'Партнёры', supervisor: 'head', members: ['ivanov', 'sidorov'] },
    { id: 'retail', name: 'Розница', supervisor: 'head', members: ['petrova'] },
  ],
  routing: { fallbackTeam: 'retail' },
});
export const BENCH_MANAGERS = benchConfig.managers.map((m) => m.login);

export interface BenchServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The daemon's HTTP intake as src/daemon.ts composes it (app, processor, sticky router, metrics) on a
 * server database with a chosen pool size, listening on loopback. No replay worker: every event is
 * processed by the request that stored it, which is what is measured.
 */
export async function startBenchServer(opts: { url: string; poolSize: number }): Promise<BenchServer> {
  const db = await openDatabase({ url: opts.url, maxConnections: opts.poolSize });
  const config = benchConfig;
  const metrics = createMetrics();
  const policy = createIdentityPolicy({
    ownPhones: config.company.phones,
    ownEmails: config.company.emails,
    ownDomains: config.company.domains,
  });
  const processor = createProcessor({
    sql: db.sql,
    clock: systemClock,
    log: silentLogger,
    metrics,
    policy,
    router: createStickyRouter(config),
    maxAttempts: config.ingest.maxAttempts,
    retryBaseDelayMs: config.ingest.retryBaseDelayMs,
  });
  const app = createApp({
    sql: db.sql,
    config,
    policy,
    processor,
    metrics,
    log: silentLogger,
    clock: systemClock,
    tokens: config.api.tokens,
    isAccepting: () => true,
  });
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
