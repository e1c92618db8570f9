import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Page } from 'playwright-core';
import type { ChannelDefinition } from '../../src/channels/channel.js';
import { storeFetchedMessage } from '../../src/channels/email/store.js';
import { type Config, type ConfigInput, configSchema } from '../../src/config/schema.js';
import { createPhoneRegionResolver } from '../../src/geo/index.js';
import type { NumberingPlanService } from '../../src/geo/numbering-plan-service.js';
import { createApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createPipeline } from '../../src/pipeline.js';
import { createSlaScanner } from '../../src/sla/scanner.js';

export { CHROMIUM, hasChromium, launchBrowser } from './chromium.js';

import { manualClock, TEST_TOKEN } from './context.js';
import { openTestDatabase, type TestDatabase } from './db.js';
import { composeMail } from './email.js';

/**
 * The whole app on a loopback port, composed like the daemon (pipeline, email replies over SMTP, the web app
 * with a fast live poll) but with a settable clock, so an SLA scan can be run at a chosen moment.
 */
export async function startWebServer(
  input: ConfigInput,
  opts: {
    /** The channel list (default: every channel): a test may plug in a channel with a fake client. */
    channels?: readonly ChannelDefinition[];
    /** The numbering plan the admin pages show (default: none). */
    numberingPlan?: NumberingPlanService;
  } = {},
) {
  const db: TestDatabase = await openTestDatabase('postgres');
  const config: Config = configSchema.parse(input);
  const clock = manualClock(new Date('2026-11-30T07:00:00Z'));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sb-web-'));
  const metrics = createMetrics();
  const phoneRegions = createPhoneRegionResolver();
  const pipeline = createPipeline({
    sql: db.sql,
    config,
    clock: clock.clock,
    log: silentLogger,
    metrics,
    phoneRegions: () => phoneRegions,
    dataDir,
    ...(db.url ? { databaseUrl: db.url } : {}),
    ...(opts.channels ? { channels: opts.channels } : {}),
  });
  const { processor, telephony } = pipeline;
  let accepting = true;
  // The channels' transports (IMAP watchers) are not started: mail is stored as a watcher would store it.
  const app = createApp({
    ...pipeline,
    sql: db.sql,
    config,
    metrics,
    log: silentLogger,
    clock: clock.clock,
    tokens: config.api.tokens,
    phoneRegions: () => phoneRegions,
    isAccepting: () => accepting,
    ...(opts.numberingPlan ? { numberingPlan: opts.numberingPlan } : {}),
    web: { livePollMs: 150 },
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let uid = 0;

  return {
    url,
    db,
    config,
    clock,
    /** The channel modules (a test starts a transport it needs). */
    channels: pipeline.channels,
    /** Calls the API with the test token. */
    // biome-ignore lint/suspicious/noExplicitAny: tests assert on the JSON field by field
    async api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
      const res = await fetch(url + p, {
        method,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    /** A client's email arriving in a mailbox, as the IMAP watcher would store it, then processed. */
    async receiveEmail(mailbox: string, m: Parameters<typeof composeMail>[0] | { raw: string }) {
      const { raw } = 'raw' in m ? m : composeMail(m);
      uid++;
      const stored = await storeFetchedMessage(db.sql, {
        event: {
          kind: 'received',
          mailbox,
          folder: 'INBOX',
          uid,
          uidValidity: '1',
          receivedAt: clock.clock().toISOString(),
        },
        raw: Buffer.from(raw),
      });
      if (stored.status !== 'stored') throw new Error(`email not stored: ${stored.status}`);
      return processor.process(stored.eventId);
    },
    /** One pass of the SLA scanner at the current (manual) time. */
    scanSla: () =>
      createSlaScanner({
        sql: db.sql,
        config,
        clock: clock.clock,
        log: silentLogger,
        instanceId: 'web-test',
      }).runOnce(),
    async close() {
      accepting = false;
      (server as import('node:http').Server).closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await telephony.stop();
      await processor.drain();
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export type WebServer = Awaited<ReturnType<typeof startWebServer>>;

/** Signs in through the form, as a person does. */
export async function signIn(page: Page, base: string, login: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Логин').fill(login);
  await page.getByLabel('Пароль').fill(password);
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}
