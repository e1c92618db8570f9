import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { serve } from '@hono/node-server';
import type { Sql } from 'postgres';
import type { Config } from '../src/config/schema.js';
import { createPhoneRegionResolver } from '../src/geo/index.js';
import { createApp } from '../src/http/app.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';

/** The whole app (pipeline, API, web pages) on a loopback port with a fixed clock, for the page benches. */
export async function serveBenchApp(o: { sql: Sql; config: Config; now: Date }) {
  const clock = () => o.now;
  const metrics = createMetrics();
  const pipeline = createPipeline({
    sql: o.sql,
    config: o.config,
    clock,
    log: silentLogger,
    metrics,
    phoneRegions: () => createPhoneRegionResolver(),
    dataDir: os.tmpdir(),
  });
  const app = createApp({
    ...pipeline,
    sql: o.sql,
    config: o.config,
    metrics,
    log: silentLogger,
    clock,
    tokens: o.config.api.tokens,
    isAccepting: () => true,
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    /** Signs in through the form; the session cookie (`sb_session=…`). */
    async cookieFor(login: string, password: string): Promise<string> {
      const res = await fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login, password }).toString(),
      });
      return res.headers.getSetCookie()[0]!.split(';')[0]!;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pipeline.telephony.stop();
    },
  };
}
