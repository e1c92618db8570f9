import type { Sql } from 'postgres';
import { errorMessage } from '../core/errors.js';
import { periodic } from '../core/periodic.js';
import type { Logger } from '../observability/logger.js';
import { APPLICATION_NAME } from './connect.js';

/**
 * Ends the daemon's own server sessions that have been waiting for the client in the middle of a statement
 * for longer than `olderThanMs`. After a PostgreSQL restart postgres.js can leave a statement half-sent on a
 * new connection (Parse/Describe/Flush, then nothing: the server waits for the client, the client for the
 * server). PostgreSQL ignores its own timeouts while it waits for the client, and the daemon's watchdogs give
 * the request up but not the connection, so without this the pool would run with fewer connections until the
 * next restart. A session is only ended when it is `active` (a statement begun) and has waited for the client
 * (`ClientRead`) since before the cut-off; an idle connection, or one streaming a COPY, is never touched.
 */
export async function endStuckSessions(sql: Sql, olderThanMs: number): Promise<number> {
  // The candidates are chosen first (MATERIALIZED): in one WHERE clause PostgreSQL may call
  // pg_terminate_backend before the other conditions and end sessions that do not match.
  const rows = await sql<{ pid: number }[]>`
    WITH stuck AS MATERIALIZED (
      SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = ${APPLICATION_NAME} AND pid <> pg_backend_pid()
        AND state = 'active' AND wait_event = 'ClientRead' AND query NOT ILIKE 'copy%'
        AND state_change < now() - make_interval(secs => ${olderThanMs / 1000}::float8))
    SELECT pid FROM stuck WHERE pg_terminate_backend(pid)`;
  return rows.length;
}

/** The janitor the daemon runs on a server database: endStuckSessions every minute, for sessions stuck 30 s. */
export function stuckSessionJanitor(
  sql: Sql,
  log: Logger,
  opts = { intervalMs: 60_000, olderThanMs: 30_000 },
) {
  return periodic(
    async () => {
      const ended = await endStuckSessions(sql, opts.olderThanMs);
      // Ids of our own connections only: nothing about clients or payloads.
      if (ended > 0) log.warn({ ended }, 'ended database sessions stuck in a half-sent statement');
    },
    opts.intervalMs,
    (err) => log.warn({ err: errorMessage(err) }, 'stuck session check failed'),
  );
}
