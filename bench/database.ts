import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  /** True when this run created it (and drops it at the end unless kept). */
  created: boolean;
  drop(): Promise<void>;
}

/** DATABASE_URL when given; otherwise a fresh `sb_bench_<rand>` on the local server. */
export async function benchDatabase(databaseUrl: string | undefined): Promise<BenchDatabase> {
  if (databaseUrl) return { url: databaseUrl, created: false, drop: async () => {} };
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(DEFAULT_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(DEFAULT_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    created: true,
    async drop() {
      const a = postgres(DEFAULT_ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

export interface EmbeddedTarget {
  /** The data directory (the daemon's SWITCHBOARD data directory: the cluster is its pg/ folder). */
  dir: string;
  created: boolean;
  drop(): Promise<void>;
}

/** BENCH_EMBEDDED_DIR (--embedded-dir) when given; otherwise a fresh temp directory, removed at the end. */
export async function embeddedTarget(dir: string | undefined): Promise<EmbeddedTarget> {
  if (dir) return { dir: path.resolve(dir), created: false, drop: async () => {} };
  const made = await mkdtemp(path.join(os.tmpdir(), 'sb-bench-embedded-'));
  return { dir: made, created: true, drop: () => rm(made, { recursive: true, force: true }) };
}

/** The server the figures were measured against: version and the settings that bound write latency. */
export async function describeServer(sql: Sql): Promise<Record<string, string>> {
  const rows = await sql<{ name: string; setting: string }[]>`
    SELECT name, current_setting(name) AS setting FROM unnest(${[
      'server_version',
      'shared_buffers',
      'synchronous_commit',
      'fsync',
      'wal_level',
      'max_connections',
    ]}::text[]) AS t(name)`;
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}
