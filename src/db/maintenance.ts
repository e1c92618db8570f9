import type { Sql } from 'postgres';
import { errorMessage } from '../core/errors.js';
import { periodic } from '../core/periodic.js';
import type { Logger } from '../observability/logger.js';
import type { DatabaseKind } from './connect.js';

/**
 * The tables every decided event writes or updates. Their statistics steer the planner's choice for the hot
 * path's lookups (an index probe, or a scan of the whole table), and their dead row versions (the
 * `inbound_events` rows updated to `processed`: every transport's but the API's) are what vacuum reclaims.
 */
export const HOT_TABLES = [
  'inbound_events',
  'messages',
  'conversations',
  'leads',
  'contacts',
  'identities',
  'audit_log',
  'outbox',
  'calls',
  'merge_suggestions',
  'routing_team_state',
  // Read by every decision (generic plans, src/db/key-lookup-plans.ts: ANALYZE is what re-plans them).
  'deals',
  'companies',
] as const;

/** `VACUUM (ANALYZE)` of the hot tables: what autovacuum does for them on a server that runs it. */
export async function vacuumHotTables(sql: Sql): Promise<void> {
  // VACUUM cannot run in a transaction block: a plain simple-protocol statement.
  await sql.unsafe(`VACUUM (ANALYZE) ${HOT_TABLES.join(', ')}`);
}

/**
 * Whether the database gets no autovacuum: PGlite has no background workers (it reports `autovacuum = on`
 * and never runs it), and a server may have it turned off (this project's CI machine does). Without it the
 * planner keeps the statistics of a young table and the hot path's statements drift to whole-table scans as
 * the history grows (measured in the bench: PostgreSQL CPU per event 1.6 ms before a VACUUM ANALYZE,
 * 0.6 ms after, at 64 requests in flight).
 */
export async function lacksAutovacuum(sql: Sql, kind: DatabaseKind): Promise<boolean> {
  if (kind === 'embedded') return true;
  const [row] = await sql<{ autovacuum: string }[]>`SELECT current_setting('autovacuum') AS autovacuum`;
  return row?.autovacuum !== 'on';
}

/**
 * The daemon's stand-in for autovacuum where there is none: `vacuumHotTables` a minute after start and then
 * every `intervalMs` (10 minutes). On PGlite a pass holds the one connection for its duration (a few hundred
 * milliseconds at the embedded database's scale), so it is not run more often.
 */
export function maintenanceWorker(
  sql: Sql,
  log: Logger,
  opts: { intervalMs: number; firstAfterMs: number } = { intervalMs: 600_000, firstAfterMs: 60_000 },
) {
  const worker = periodic(
    async () => {
      const started = performance.now();
      await vacuumHotTables(sql);
      log.info({ ms: Math.round(performance.now() - started) }, 'vacuumed and analyzed the hot tables');
    },
    opts.intervalMs,
    (err) => log.warn({ err: errorMessage(err) }, 'maintenance pass failed'),
  );
  let first: NodeJS.Timeout | undefined;
  return {
    start() {
      // Not at once: the start replays the backlog first.
      first = setTimeout(() => worker.start(), opts.firstAfterMs);
      first.unref();
    },
    async stop() {
      if (first) clearTimeout(first);
      await worker.stop();
    },
  };
}
