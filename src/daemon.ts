import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import type { Sql } from 'postgres';
import type { RuntimeSettings } from './config/load.js';
import { type Clock, systemClock } from './core/clock.js';
import { errorMessage } from './core/errors.js';
import { lockDataDir } from './data-dir-lock.js';
import { type Database, openDatabase } from './db/connect.js';
import { lacksAutovacuum, maintenanceWorker } from './db/maintenance.js';
import { migrate } from './db/migrate.js';
import { stuckSessionJanitor } from './db/stuck-sessions.js';
import { createNumberingPlanService } from './geo/numbering-plan-service.js';
import { createApp } from './http/app.js';
import type { ApiToken } from './http/auth.js';
import { createReplayer } from './ingest/replayer.js';
import { revalidateRejected } from './ingest/revalidate.js';
import type { Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createPipeline } from './pipeline.js';
import { createAssigner } from './routing/assigner.js';
import { calendarsFromConfig } from './sla/calendar.js';
import { slaMetrics } from './sla/metrics.js';
import { createSlaScanner } from './sla/scanner.js';

export interface Daemon {
  /** The port the HTTP server listens on (resolved when 0 was asked). */
  port: number;
  /** The daemon's database pool, for in-process tools and tests (the embedded database has no other door). */
  sql: Sql;
  stop(): Promise<void>;
}

/**
 * Builds every dependency and starts the daemon: database (migrated), numbering plan, HTTP intake, the replay
 * worker, the queue assigner, the SLA scanner.
 * `stop()` reverses it: stop intake, let in-flight work finish, stop workers, close the database.
 */
export async function startDaemon(
  settings: RuntimeSettings,
  log: Logger,
  clock: Clock = systemClock,
): Promise<Daemon> {
  const { config } = settings;
  const lock = await lockDataDir(settings.dataDir);
  let db: Database;
  try {
    db = await openDatabase({
      ...(settings.databaseUrl ? { url: settings.databaseUrl } : { dataDir: settings.dataDir }),
    });
  } catch (err) {
    await lock.release();
    throw err;
  }
  log.info({ database: db.kind, location: db.location }, 'database opened');
  try {
    const applied = await migrate(db.sql);
    if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
  } catch (err) {
    await db.close();
    await lock.release();
    throw err;
  }

  const metrics = createMetrics({ defaultMetrics: true });
  const numberingPlan = createNumberingPlanService({
    dir: config.routing.numberingPlan.dir ?? path.join(settings.dataDir, 'numbering-plan'),
    log,
    refreshHours: config.routing.numberingPlan.refreshHours,
    checkIntervalMs: config.routing.numberingPlan.checkIntervalMs,
    registry: metrics.registry,
    download: {
      baseUrl: config.routing.numberingPlan.baseUrl,
      userAgent: config.routing.numberingPlan.userAgent,
    },
  });
  await numberingPlan.load();
  const phoneRegions = numberingPlan.resolver;
  const pipeline = createPipeline({
    sql: db.sql,
    config,
    clock,
    log,
    metrics,
    phoneRegions,
    dataDir: settings.dataDir,
    ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {}),
    ...(db.lookupSql ? { lookupSql: db.lookupSql } : {}),
  });
  const { processor, telephony, channels } = pipeline;
  const transports = channels.flatMap((ch) => (ch.transport ? [{ name: ch.name, ...ch.transport }] : []));
  const assigner = createAssigner({ sql: db.sql, config, clock, log });
  const replayer = createReplayer({
    sql: db.sql,
    processor,
    clock,
    log,
    metrics,
    intervalMs: config.ingest.replayIntervalMs,
    graceMs: config.ingest.replayGraceMs,
  });
  const sla = config.sla.enabled
    ? createSlaScanner({
        sql: db.sql,
        config,
        clock,
        log,
        calendars: calendarsFromConfig(config),
        ...slaMetrics(metrics.registry),
      })
    : undefined;
  const tokens: ApiToken[] = [...config.api.tokens];
  if (settings.envApiToken) tokens.push({ name: 'env', token: settings.envApiToken });
  if (tokens.length === 0) log.warn('no API tokens configured: every /api/v1 request will be refused');

  let accepting = false;
  const app = createApp({
    ...pipeline,
    sql: db.sql,
    config,
    metrics,
    log,
    clock,
    tokens,
    phoneRegions,
    numberingPlan,
    isAccepting: () => accepting,
    degraded: (): Record<string, string> => {
      const plan = numberingPlan.status();
      return plan.state === 'loaded' ? {} : { numberingPlan: plan.reason ?? plan.state };
    },
    readinessDetails: () => ({
      databaseKind: db.kind,
      numberingPlan: numberingPlan.status(),
      ...(pipeline.bitrix24 ? { bitrix24: pipeline.bitrix24.sync.status() } : {}),
      ...(pipeline.amocrm ? { amocrm: pipeline.amocrm.status() } : {}),
    }),
  });

  // Whatever a crash left pending is processed before new intake opens. A failure while starting stops
  // what already started, in reverse order, and closes the database.
  const started: (() => Promise<unknown> | unknown)[] = [() => lock.release(), () => db.close()];
  // Server sessions a PostgreSQL restart left stuck in a half-sent statement go back to the pool.
  const janitor = db.kind === 'postgres' ? stuckSessionJanitor(db.sql, log) : undefined;
  // Where nothing vacuums and analyzes (PGlite; a server with autovacuum off) the daemon does it itself.
  const maintenance = (await lacksAutovacuum(db.sql, db.kind).catch(() => false))
    ? maintenanceWorker(db.sql, log)
    : undefined;
  if (maintenance && db.kind === 'postgres')
    log.warn(
      'autovacuum is off on the database server: the daemon vacuums and analyzes its tables every 10 minutes',
    );
  let server: ReturnType<typeof serve>;
  try {
    // Payloads refused by an older version that the code running now can read are decided with the backlog.
    await revalidateRejected({ sql: db.sql, sources: pipeline.source, log });
    await replayer.start();
    started.push(() => replayer.stop());
    assigner.start();
    started.push(() => assigner.stop());
    numberingPlan.start();
    started.push(() => numberingPlan.stop());
    janitor?.start();
    started.push(() => janitor?.stop());
    maintenance?.start();
    started.push(() => maintenance?.stop());
    await telephony.start();
    started.push(() => telephony.stop());
    server = serve({ fetch: app.fetch, port: settings.port, hostname: config.server.host });
    const listening = server;
    started.push(() => new Promise<void>((resolve) => listening.close(() => resolve())));
    await new Promise<void>((resolve, reject) => {
      listening.once('listening', resolve);
      listening.once('error', reject);
    });
  } catch (err) {
    for (const stop of started.reverse()) await Promise.resolve(stop()).catch(() => {});
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  accepting = true;
  sla?.start();
  pipeline.outbox.worker.start();
  pipeline.bitrix24?.sync.start();
  pipeline.media.start();
  pipeline.amocrm?.start();
  // Channel transports (IMAP watchers, messenger clients) start once intake is open; each reports its own
  // failures in /readyz and retries, so one broken account never stops the daemon.
  for (const t of transports)
    await Promise.resolve()
      .then(() => t.start())
      .catch((err) =>
        log.error({ channel: t.name, err: errorMessage(err) }, 'channel transport failed to start'),
      );
  if (transports.length > 0)
    log.info({ channels: transports.map((t) => t.name) }, 'channel transports started');
  log.info(
    { host: config.server.host, port, pid: process.pid, config: settings.configPath },
    'switchboard listening',
  );

  let stopping: Promise<void> | undefined;
  return {
    port,
    sql: db.sql,
    stop() {
      stopping ??= (async () => {
        accepting = false;
        log.info('stopping: intake closed, finishing in-flight work');
        for (const t of [...transports].reverse()) await t.stop();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await sla?.stop();
        await pipeline.bitrix24?.sync.stop();
        await pipeline.amocrm?.stop();
        await pipeline.outbox.worker.stop();
        await pipeline.media.stop();
        await processor.drain();
        await telephony.stop();
        await numberingPlan.stop();
        await janitor?.stop();
        await maintenance?.stop();
        await assigner.stop();
        await replayer.stop();
        await processor.drain();
        await db.close();
        await lock.release();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
