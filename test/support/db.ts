import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { ADMIN_URL, type Backend, databaseUrl } from './pg.js';

export interface TestDatabase extends Database {
  /** URL of a server database (postgres backend only), for a second daemon on the same data. */
  url?: string;
}

/**
 * A fresh, migrated database for one test file: a clone of the template on the real PostgreSQL (dropped on
 * close), or an in-memory embedded PGlite. Never a mock.
 */
export async function openTestDatabase(
  backend: Backend,
  opts: { maxConnections?: number } = {},
): Promise<TestDatabase> {
  if (backend === 'embedded') {
    const db = await openDatabase({});
    await migrate(db.sql);
    return db;
  }
  const template = inject('templateDatabase');
  if (!template) throw new Error('no template database: the global setup did not run for postgres');
  const name = `sb_test_${randomBytes(5).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = databaseUrl(name);
  const db = await openDatabase({ url, maxConnections: opts.maxConnections ?? 10 });
  return {
    ...db,
    url,
    close: async () => {
      await db.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
