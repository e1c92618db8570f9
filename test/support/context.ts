import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { ChannelDefinition, ChannelModule } from '../../src/channels/channel.js';
import type { MediaDownloads } from '../../src/channels/messenger/media-downloads.js';
import type { Intake } from '../../src/channels/webhook/intake.js';
import { type Config, type ConfigInput, configSchema } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import type { AmocrmConnector } from '../../src/crm/amocrm/index.js';
import type { Bitrix24Connector } from '../../src/crm/bitrix24/index.js';
import type { Outbox } from '../../src/crm/outbox/index.js';
import { createPhoneRegionResolver, type PhoneRegionResolver } from '../../src/geo/index.js';
import type { NumberingPlanService } from '../../src/geo/numbering-plan-service.js';
import { createApp } from '../../src/http/app.js';
import type { createProcessor } from '../../src/ingest/processor.js';
import { type Logger, silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createPipeline } from '../../src/pipeline.js';
import type { Telephony } from '../../src/telephony/telephony.js';
import { openTestDatabase, type TestDatabase } from './db.js';
import type { Backend } from './pg.js';

export const TEST_TOKEN = 'test-token-0123456789';

export const baseConfig: ConfigInput = {
  api: { tokens: [{ name: 'crm', token: TEST_TOKEN }] },
  company: {
    phones: ['8 (800) 555-35-35'],
    emails: ['sales@mebel-fabrika.ru'],
    domains: ['mebel-fabrika.ru'],
  },
  managers: [
    { login: 'ivanov', name: 'Иван Иванов' },
    { login: 'petrova', name: 'Мария Петрова' },
    { login: 'head', name: 'Анна Руководитель' },
  ],
  teams: [
    { id: 'partners', name: 'Партнёры', supervisor: 'head', members: ['ivanov'] },
    { id: 'retail', name: 'Розница', supervisor: 'head', members: ['petrova'] },
  ],
  routing: {
    fallbackTeam: 'retail',
    rules: [{ id: 'partners', when: { clientTypes: ['partner'] }, team: 'partners' }],
  },
  server: { bodyLimitBytes: 64 * 1024 },
  ingest: { maxAttempts: 3, retryBaseDelayMs: 1000 },
};

/** A settable clock: tests move time explicitly and never sleep. */
export function manualClock(start = new Date('2026-11-20T09:00:00Z')) {
  let now = start;
  const clock: Clock = () => now;
  return {
    clock,
    set: (d: Date) => (now = d),
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  };
}

export interface TestContext {
  db: TestDatabase;
  config: Config;
  app: ReturnType<typeof createApp>;
  processor: ReturnType<typeof createProcessor>;
  /** The intake kit every transport stores through (group commit of the raw payloads). */
  intake: Intake;
  metrics: ReturnType<typeof createMetrics>;
  clock: ReturnType<typeof manualClock>;
  telephony: Telephony;
  /** The outbox (its worker is not started: tests call `outbox.worker.runOnce()`). */
  outbox: Outbox;
  /** Messenger attachment copies (not started: tests call `media.runOnce()`). */
  media: MediaDownloads;
  bitrix24?: Bitrix24Connector;
  amocrm?: AmocrmConnector;
  /** The channel owning an event's source, as the processor finds it. */
  source: (name: string) => ChannelModule | undefined;
  /** A temporary data directory (recordings), removed on close. */
  dataDir: string;
  /** Calls the app like a client would, with the bearer token unless `token: null`. */
  request(
    method: string,
    path: string,
    body?: unknown,
    opts?: { token?: string | null; raw?: string; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON the tests assert on field by field
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function createTestContext(
  backend: Backend,
  overrides: Partial<ConfigInput> = {},
  opts: {
    phoneRegions?: PhoneRegionResolver;
    maxConnections?: number;
    /** The channel list (default: every channel); a test may add a channel of its own. */
    channels?: readonly ChannelDefinition[];
    /** The outbox claim name (two contexts on one database act as two daemons). */
    instance?: string;
    /** Outbound HTTP to providers (default: the global fetch, against fakes on loopback). */
    fetch?: typeof fetch;
    /** Where the app and the pipeline log (default: nowhere). */
    log?: Logger;
    /** The numbering plan service the admin API and pages show (default: none). */
    numberingPlan?: NumberingPlanService;
  } = {},
): Promise<TestContext> {
  const db = await openTestDatabase(backend, {
    ...(opts.maxConnections ? { maxConnections: opts.maxConnections } : {}),
  });
  const config = configSchema.parse({ ...baseConfig, ...overrides });
  const clock = manualClock();
  const phoneRegionResolver = opts.phoneRegions ?? createPhoneRegionResolver();
  const phoneRegions = () => phoneRegionResolver;
  const metrics = createMetrics();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sb-test-'));
  const pipeline = createPipeline({
    sql: db.sql,
    config,
    clock: clock.clock,
    log: opts.log ?? silentLogger,
    metrics,
    phoneRegions,
    dataDir,
    ...(db.url ? { databaseUrl: db.url } : {}),
    ...(opts.channels ? { channels: opts.channels } : {}),
    ...(opts.instance ? { instance: opts.instance } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    // Provider retries wait on the test's clock: a backoff of seconds takes no time.
    sleep: async (ms: number) => {
      clock.advance(ms);
    },
    ...(db.lookupSql ? { lookupSql: db.lookupSql } : {}),
  });
  const { processor, telephony } = pipeline;
  const app = createApp({
    ...pipeline,
    sql: db.sql,
    config,
    metrics,
    log: opts.log ?? silentLogger,
    clock: clock.clock,
    tokens: config.api.tokens,
    phoneRegions,
    ...(opts.numberingPlan ? { numberingPlan: opts.numberingPlan } : {}),
    isAccepting: () => true,
  });
  return {
    db,
    config,
    app,
    processor,
    intake: pipeline.intake,
    metrics,
    clock,
    telephony,
    outbox: pipeline.outbox,
    media: pipeline.media,
    ...(pipeline.bitrix24 ? { bitrix24: pipeline.bitrix24 } : {}),
    ...(pipeline.amocrm ? { amocrm: pipeline.amocrm } : {}),
    source: pipeline.source,
    dataDir,
    async request(method, path, body, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const token = opts.token === undefined ? TEST_TOKEN : opts.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let payload: string | undefined = opts.raw;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await app.request(path, {
        method,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
      });
      return { status: res.status, body: await readBody(res) };
    },
    async close() {
      await pipeline.bitrix24?.sync.stop();
      await pipeline.amocrm?.stop();
      await pipeline.outbox.worker.stop();
      await pipeline.media.stop();
      await telephony.stop();
      await processor.drain();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * How many events the processor has decided, and in how many batches, so far (its `decisionBatch` histogram):
 * read before and after to tell whether events were decided together.
 */
export async function decisionBatches(
  ctx: Pick<TestContext, 'metrics'>,
): Promise<{ events: number; batches: number }> {
  const values = (await ctx.metrics.decisionBatch.get()).values;
  const of = (suffix: string) => values.find((v) => v.metricName?.endsWith(suffix))?.value ?? 0;
  return { events: of('_sum'), batches: of('_count') };
}

/** A response body as JSON when it is JSON, else as text. */
export async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** POSTs `inboundBody(overrides)` to /api/v1/inbound and returns its decision; the answer must be 200. */
export async function sendInbound(ctx: TestContext, overrides: Record<string, unknown> = {}) {
  const res = await ctx.request('POST', '/api/v1/inbound', inboundBody(overrides));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.decision;
}

let seq = 0;
/** A valid POST /api/v1/inbound body; override what the test is about. */
export function inboundBody(overrides: Record<string, unknown> = {}) {
  seq++;
  return {
    channel: 'webform',
    account: 'site',
    externalId: `f-${process.pid}-${seq}`,
    direction: 'in',
    occurredAt: '2026-11-20T09:15:00+03:00',
    from: { name: 'Иван Петров', phones: ['8 (912) 345-67-89'], emails: ['Ivan@Example.ru'] },
    subject: 'Заявка с сайта',
    text: 'Нужен прилавок 2 м',
    ...overrides,
  };
}
