import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.js';
import { type Daemon, startDaemon } from '../src/daemon.js';
import { NUMBERING_PLAN_HEADER } from '../src/geo/numbering-plan.js';
import { importNumberingPlan } from '../src/geo/update.js';
import { createApp } from '../src/http/app.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';
import { baseConfig, createTestContext, TEST_TOKEN, type TestContext } from './support/context.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';

const DEF = `\ufeff${NUMBERING_PLAN_HEADER}\n900;3200000;3299999;100000;ООО "Т2 МОБАЙЛ";-;Республика Татарстан;7743895280`;
const auth = { authorization: `Bearer ${TEST_TOKEN}` };

// Issue 16 item 15: /readyz without a token showed the database's error text with its host and port.
describe('/readyz with the database away', () => {
  let ctx: TestContext;
  let broken: ReturnType<typeof postgres>;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    ctx = await createTestContext('postgres');
    // A real driver pointed at a port nothing listens on (port 1 on loopback).
    broken = postgres('postgres://postgres@127.0.0.1:1/switchboard', { connect_timeout: 1, max: 1 });
    const pipeline = createPipeline({
      sql: broken,
      config: ctx.config,
      clock: ctx.clock.clock,
      log: silentLogger,
      metrics: createMetrics(),
    });
    app = createApp({
      ...pipeline,
      sql: broken,
      config: ctx.config,
      metrics: createMetrics(),
      log: silentLogger,
      clock: ctx.clock.clock,
      tokens: ctx.config.api.tokens,
      isAccepting: () => true,
      readinessDetails: () => ({ databaseKind: 'postgres' }),
    });
  });
  afterAll(async () => {
    await broken?.end({ timeout: 1 });
    await ctx?.close();
  });

  it('tells anyone it is not ready, but only an authenticated caller why', async () => {
    const anonymous = await app.request('/readyz');
    expect(anonymous.status).toBe(503);
    const text = await anonymous.text();
    expect(JSON.parse(text)).toEqual({ status: 'not_ready', database: 'unavailable' });
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|:1\b/);

    const wrongToken = await app.request('/readyz', {
      headers: { authorization: 'Bearer not-a-valid-token' },
    });
    expect(await wrongToken.json()).toEqual({ status: 'not_ready', database: 'unavailable' });

    const insider = await app.request('/readyz', { headers: auth });
    expect(insider.status).toBe(503);
    expect(await insider.json()).toMatchObject({
      status: 'not_ready',
      database: 'unavailable',
      databaseError: expect.stringMatching(/ECONNREFUSED|127\.0\.0\.1/),
      databaseKind: 'postgres',
    });
  });

  it('a request that needs the database is answered 503 with Retry-After, not 500', async () => {
    const res = await app.request('/api/v1/leads', { headers: auth });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
  });
});

// Issue 16 item 14: without the numbering plan the daemon only logged one warning at start.
describe('the numbering plan in a running daemon', () => {
  let db: TestDatabase;
  let dataDir: string;
  let daemon: Daemon;
  const base = () => `http://127.0.0.1:${daemon.port}`;
  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    dataDir = await mkdtemp(path.join(tmpdir(), 'sb-plan-daemon-'));
    const config = configSchema.parse({
      ...baseConfig,
      routing: { ...baseConfig.routing, numberingPlan: { checkIntervalMs: 100 } },
    });
    daemon = await startDaemon(
      { config, configPath: 'test', port: 0, databaseUrl: db.url!, dataDir },
      silentLogger,
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('missing: /readyz is degraded with the reason and a metric says so; `geo:import` is picked up without a restart', async () => {
    const before = await fetch(`${base()}/readyz`);
    expect(before.status).toBe(200);
    expect(await before.json()).toMatchObject({
      status: 'degraded',
      database: 'ok',
      degraded: { numberingPlan: expect.stringMatching(/numbering plan files not found/) },
    });
    expect(await fetch(`${base()}/metrics`).then((r) => r.text())).toMatch(
      /^switchboard_numbering_plan_loaded 0$/m,
    );

    // What `npm run geo:import -- DEF-9xx.csv` does, while the daemon runs.
    const source = path.join(dataDir, 'DEF-9xx.csv');
    await writeFile(source, DEF);
    await importNumberingPlan([source], path.join(dataDir, 'numbering-plan'));

    const deadline = Date.now() + 15_000;
    let body: { status?: string; numberingPlan?: unknown } = {};
    while (Date.now() < deadline) {
      body = (await fetch(`${base()}/readyz`, { headers: auth }).then((r) => r.json())) as typeof body;
      if (body.status === 'ready') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toMatchObject({
      status: 'ready',
      numberingPlan: { state: 'loaded', files: ['DEF-9xx.csv'], ranges: 1 },
    });
    const metrics = await fetch(`${base()}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^switchboard_numbering_plan_loaded 1$/m);
    expect(metrics).toMatch(/^switchboard_numbering_plan_ranges 1$/m);
  });
});
