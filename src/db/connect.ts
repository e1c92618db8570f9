import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import postgres, { type Sql } from 'postgres';

export type DatabaseKind = 'postgres' | 'embedded';

export interface Database {
  sql: Sql;
  kind: DatabaseKind;
  /** Where it lives, without credentials (for logs and /readyz). */
  location: string;
  /**
   * Embedded only: a second connection for short read-only lookups that must not queue behind the ingest
   * transactions on `sql` (the PBX "who is calling" lookup). It waits for the statement or transaction running
   * now, never for the ones queued after it. A server database opens side pools from its URL instead.
   */
  lookupSql?: Sql;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL. Absent: the embedded database. */
  url?: string;
  /** Embedded only: the directory for its files. Absent: in memory (tests). */
  dataDir?: string;
  /** Pool size for a server database. The embedded one always has exactly one connection. */
  maxConnections?: number;
}

const SHARED_OPTIONS = {
  // Result columns arrive as camelCase; SQL stays plain snake_case.
  transform: { column: { from: postgres.toCamel } },
  onnotice: () => {},
  connect_timeout: 10,
} as const;

/**
 * A small extra pool on a server database for a latency-critical path: its own connections (a busy ingest pool
 * cannot starve it) and a statement_timeout set at connect time, so each query is one round trip.
 */
export function openSidePool(url: string, opts: { max: number; statementTimeoutMs: number }): Sql {
  return postgres(url, {
    ...SHARED_OPTIONS,
    max: opts.max,
    connection: { statement_timeout: opts.statementTimeoutMs },
  });
}

/**
 * Opens PostgreSQL: the server at `url`, or an embedded PGlite. PGlite has a single session, so it is exposed
 * through pglite-socket on loopback and used by a one-connection postgres.js pool: the same driver, SQL and
 * transactions as on a server, with access serialized by the pool instead of interleaved.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.url) {
    const sql = postgres(opts.url, { ...SHARED_OPTIONS, max: opts.maxConnections ?? 10 });
    const u = new URL(opts.url);
    return {
      sql,
      kind: 'postgres',
      location: `${u.hostname}:${u.port || 5432}${u.pathname}`,
      close: () => sql.end({ timeout: 5 }),
    };
  }
  let pgDir: string | undefined;
  if (opts.dataDir) {
    pgDir = path.join(opts.dataDir, 'pg');
    await mkdir(pgDir, { recursive: true });
  }
  const db = await PGlite.create(pgDir);
  // Two connections share PGlite's one session: pglite-socket hands it to one connection from BEGIN to COMMIT
  // and (patched, patches/@electric-sql+pglite-socket+*.patch) from a statement's Parse to its Sync.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 2 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  const sql = postgres(url, { ...SHARED_OPTIONS, max: 1, ssl: false });
  const lookupSql = postgres(url, { ...SHARED_OPTIONS, max: 1, ssl: false });
  // Connected now: its start-up round trips would otherwise wait behind ingest work at the first call.
  await lookupSql`SELECT 1`;
  return {
    sql,
    lookupSql,
    kind: 'embedded',
    location: pgDir ?? 'memory',
    close: async () => {
      await lookupSql.end({ timeout: 5 });
      await sql.end({ timeout: 5 });
      await server.stop();
      await db.close();
    },
  };
}
