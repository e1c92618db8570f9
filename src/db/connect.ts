import path from 'node:path';
import v8 from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import postgres, { type Sql } from 'postgres';
import { EMBEDDED_POSTGRESQL_CONF, prepareEmbeddedCluster } from './embedded-cluster.js';

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
  /** Embedded only, with `extraConnections`: the pglite-socket URL on loopback for those extra connections. */
  socketUrl?: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL. Absent: the embedded database. */
  url?: string;
  /** Embedded only: the directory for its files. Absent: in memory (tests). */
  dataDir?: string;
  /** Pool size for a server database. The embedded one always has exactly one connection. */
  maxConnections?: number;
  /**
   * Embedded only: socket connections accepted beyond the pool and `lookupSql`, for a tool in another process
   * (the bench seeds and times lookups through one); their URL is `Database.socketUrl`. The daemon uses none.
   */
  extraConnections?: number;
}

const SHARED_OPTIONS = {
  // Result columns arrive as camelCase; SQL stays plain snake_case.
  transform: { column: { from: postgres.toCamel } },
  onnotice: () => {},
  connect_timeout: 10,
} as const;

/**
 * Session settings for every pool on a server database. `idle_in_transaction_session_timeout`: the daemon never
 * leaves a transaction idle for long (no transaction waits on a vendor or a user), so a session idle in one for a
 * minute belongs to a daemon that hangs or lost its network without the server noticing (TCP keepalive takes
 * hours to tell); until the server ends it, its advisory locks on message keys and identities hold up every other
 * daemon's events for those people. 60 s matches docs/operations.md. Deliberately absent: statement_timeout (CRM
 * full loads and migrations run long; latency-critical side pools set their own) and lock_timeout (waiting for
 * the lead rules' locks, or for another daemon's migrations, is the design, not a fault).
 */
/** The name the daemon's server sessions carry in pg_stat_activity (see stuck-sessions.ts). */
export const APPLICATION_NAME = 'switchboard';
const SERVER_SESSION = {
  idle_in_transaction_session_timeout: 60_000,
  application_name: APPLICATION_NAME,
} as const;

/**
 * A small extra pool on a server database for a latency-critical path: its own connections (a busy ingest pool
 * cannot starve it) and a statement_timeout set at connect time, so each query is one round trip.
 */
export function openSidePool(url: string, opts: { max: number; statementTimeoutMs: number }): Sql {
  return postgres(url, {
    ...SHARED_OPTIONS,
    max: opts.max,
    connection: { ...SERVER_SESSION, statement_timeout: opts.statementTimeoutMs },
  });
}

/**
 * Opens PostgreSQL: the server at `url`, or an embedded PGlite. PGlite has a single session, so it is exposed
 * through pglite-socket on loopback and used by a one-connection postgres.js pool: the same driver, SQL and
 * transactions as on a server, with access serialized by the pool instead of interleaved.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.url) {
    const sql = postgres(opts.url, {
      ...SHARED_OPTIONS,
      max: opts.maxConnections ?? 10,
      connection: SERVER_SESSION,
    });
    const u = new URL(opts.url);
    const location = `${u.hostname}:${u.port || 5432}${u.pathname}`;
    // postgres.js connects lazily: ping, so "opened" means a working connection (the error names no credentials).
    try {
      await sql`SELECT 1`;
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw new Error(`cannot connect to PostgreSQL at ${location}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return { sql, kind: 'postgres', location, close: () => sql.end({ timeout: 5 }) };
  }
  const extra = opts.extraConnections ?? 0;
  if (!opts.dataDir) return openEmbedded(undefined, extra);
  const pgDir = path.join(opts.dataDir, 'pg');
  await prepareEmbeddedCluster(pgDir);
  return openEmbedded(pgDir, extra);
}

/** PGlite in `pgDir` (absent: in memory), as it is: no template, no migrations. */
export async function openEmbedded(pgDir: string | undefined, extraConnections = 0): Promise<Database> {
  useBaselineWasmCompiler();
  const db = await PGlite.create(pgDir, { postgresqlconf: EMBEDDED_POSTGRESQL_CONF });
  // Two connections (and any extra ones) share PGlite's one session: pglite-socket hands it to one connection from
  // BEGIN to COMMIT and (patched, patches/@electric-sql+pglite-socket+*.patch) from a statement's Parse to its Sync.
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: 2 + extraConnections,
  });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  const sql = postgres(url, { ...SHARED_OPTIONS, max: 1, ssl: false });
  const lookupSql = postgres(url, { ...SHARED_OPTIONS, max: 1, ssl: false });
  // Connected now: its start-up round trips would otherwise wait behind ingest work at the first call.
  await lookupSql`SELECT 1`;
  return {
    sql,
    lookupSql,
    ...(extraConnections > 0 ? { socketUrl: url } : {}),
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

/**
 * PostgreSQL compiled to WebAssembly is 9 MB of code. V8's optimizing tier recompiles it in the background for
 * ~70 MB more memory and seconds of CPU at start; its baseline compiler (Liftoff) alone runs queries ~25 % slower,
 * which an embedded database of one daemon affords (docs/benchmarks.md, "Memory and start time").
 * SWITCHBOARD_EMBEDDED_WASM=optimize keeps the optimizing tier for throughput. Set before the first compile;
 * it only concerns WebAssembly (PGlite), nothing else in the process.
 */
function useBaselineWasmCompiler(): void {
  if (baselineSet || process.env.SWITCHBOARD_EMBEDDED_WASM === 'optimize') return;
  v8.setFlagsFromString('--liftoff-only');
  baselineSet = true;
}
let baselineSet = false;
