import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { ConfigError } from '../core/errors.js';
import { lockDataDir } from '../data-dir-lock.js';
import { EMBEDDED_POSTGRESQL_CONF } from './embedded-cluster.js';

const hasCluster = (pgDir: string) =>
  stat(path.join(pgDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );

/**
 * Copies the embedded database of `dataDir` into a gzipped tarball (PGlite's own dump of its data directory).
 * Takes the data directory's lock, so it refuses while a daemon runs there: the copy is always consistent.
 * Returns the file's size.
 */
export async function backupEmbedded(dataDir: string, file: string): Promise<number> {
  const lock = await lockDataDir(dataDir);
  try {
    const pgDir = path.join(dataDir, 'pg');
    if (!(await hasCluster(pgDir))) throw new ConfigError(`no embedded database in ${pgDir}`);
    const db = await PGlite.create(pgDir, { postgresqlconf: EMBEDDED_POSTGRESQL_CONF });
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
    } finally {
      await db.close();
    }
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, bytes, { flush: true });
    await rename(tmp, file);
    return bytes.length;
  } finally {
    await lock.release();
  }
}

/**
 * Restores a tarball made by `backupEmbedded` into `dataDir`. Refuses while a daemon runs there, and refuses to
 * replace an existing database unless `force`, which moves it aside (never deletes it). Returns where it went.
 */
export async function restoreEmbedded(
  dataDir: string,
  file: string,
  opts: { force?: boolean } = {},
): Promise<string | undefined> {
  const lock = await lockDataDir(dataDir);
  try {
    const pgDir = path.join(dataDir, 'pg');
    const blob = new Blob([await readFile(file)]);
    const tmp = `${pgDir}.restoring-${randomBytes(4).toString('hex')}`;
    try {
      const db = await PGlite.create(tmp, { loadDataDir: blob, postgresqlconf: EMBEDDED_POSTGRESQL_CONF });
      try {
        await db.query('SELECT count(*) FROM schema_migrations');
      } catch (err) {
        throw new ConfigError(`${file} is not a Switchboard database: ${(err as Error).message}`);
      } finally {
        await db.close();
      }
      let movedAside: string | undefined;
      if (await hasCluster(pgDir)) {
        if (!opts.force)
          throw new ConfigError(
            `${pgDir} already holds a database: pass --force to move it aside and restore`,
          );
        movedAside = `${pgDir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        await rename(pgDir, movedAside);
      } else {
        await rm(pgDir, { recursive: true, force: true });
      }
      await rename(tmp, pgDir);
      return movedAside;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } finally {
    await lock.release();
  }
}
