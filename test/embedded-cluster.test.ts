import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import { ensureEmbeddedTemplate, prepareEmbeddedCluster } from '../src/db/embedded-cluster.js';
import { tempDirs } from './support/temp-dirs.js';

const mode = async (p: string) => (await stat(p)).mode & 0o777;

// An empty data directory gets a copy of a migrated template made once (in a child process), never an initdb in
// the daemon; the template is readable by the daemon's user, each copy is private to it.
describe('the embedded database template', () => {
  const temp = tempDirs('sb-template-');

  it('is made once, world-readable; a data directory gets a private, migrated copy', async () => {
    const cache = await temp();
    const template = await ensureEmbeddedTemplate(cache);
    expect(template).toBeDefined();
    expect(await mode(template!)).toBe(0o755);
    expect(await mode(path.join(template!, 'PG_VERSION'))).toBe(0o644);
    expect(await ensureEmbeddedTemplate(cache)).toBe(template);
    expect((await readdir(cache)).filter((n) => n.includes('.tmp-'))).toEqual([]);

    const dataDir = await temp();
    const pgDir = path.join(dataDir, 'pg');
    await prepareEmbeddedCluster(pgDir, cache);
    expect(await mode(pgDir)).toBe(0o700);
    expect(await mode(path.join(pgDir, 'PG_VERSION'))).toBe(0o600);
    // Already migrated: the daemon's migrate() finds nothing to do.
    const db = await openDatabase({ dataDir });
    try {
      const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM schema_migrations`;
      expect(row!.n).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });

  it('refuses a pg directory that holds files but no database', async () => {
    const pgDir = path.join(await temp(), 'pg');
    await mkdir(pgDir);
    await writeFile(path.join(pgDir, 'stray'), 'x');
    await expect(prepareEmbeddedCluster(pgDir, await temp())).rejects.toThrow(/holds files but no database/);
  });
});
