import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate.js';
import { ADMIN_URL, backends, databaseUrl } from './pg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string | null;
  }
}

/**
 * Migrates one template database on the real PostgreSQL; every test file clones it (CREATE DATABASE …
 * TEMPLATE), which is much faster than migrating per file. Dropped at the end of the run.
 */
export default async function setup(project: TestProject) {
  if (!backends().includes('postgres')) {
    project.provide('templateDatabase', null);
    return;
  }
  const name = `sb_tmpl_${randomBytes(4).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const tmpl = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
  try {
    await migrate(tmpl);
  } finally {
    await tmpl.end();
  }
  project.provide('templateDatabase', name);
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
}
