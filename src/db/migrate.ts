import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Arbitrary constant: serializes migrations when several daemons start on one database.
const MIGRATION_LOCK_KEY = 727_401_001;

export interface MigrationFile {
  version: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => /^\d{3}_[\w-]+\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (n) => ({ version: n.replace(/\.sql$/, ''), sql: await readFile(dir + n, 'utf8') })),
  );
}

/**
 * Applies pending migrations in order, all of them in one transaction under an advisory lock (several daemons may
 * start together): either every pending file is applied or none is. Returns the versions applied.
 */
export async function migrate(sql: Sql, migrations?: MigrationFile[]): Promise<string[]> {
  const files = migrations ?? (await loadMigrations());
  const applied: string[] = [];
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
    const done = new Set(
      (await tx<{ version: string }[]>`SELECT version FROM schema_migrations`).map((r) => r.version),
    );
    for (const file of files) {
      if (done.has(file.version)) continue;
      await tx.unsafe(file.sql);
      await tx`INSERT INTO schema_migrations (version) VALUES (${file.version})`;
      applied.push(file.version);
    }
  });
  return applied;
}
