import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMigrations } from './migrate.js';

/**
 * PostgreSQL settings of the embedded database. PGlite's defaults are a server's (shared_buffers 128 MB,
 * maintenance_work_mem 64 MB), and every buffer touched stays in the WebAssembly memory, which never shrinks.
 * A single-session database of one daemon needs far less; these keep the process near 200 MB.
 */
export const EMBEDDED_POSTGRESQL_CONF = [
  'shared_buffers=16MB',
  'temp_buffers=2MB',
  'wal_buffers=1MB',
  'work_mem=4MB',
  'maintenance_work_mem=16MB',
];

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATE_CACHE = path.join(PACKAGE_ROOT, 'node_modules', '.cache', 'switchboard');
const INIT_ENTRY = fileURLToPath(new URL(`./embedded-init${path.extname(import.meta.url)}`, import.meta.url));

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * The template's name changes with the PGlite version, the settings and the migrations, so a stale template is
 * never copied (a new one is made beside it).
 */
async function templateName(): Promise<string> {
  const pkg = JSON.parse(
    await readFile(
      path.join(PACKAGE_ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'),
      'utf8',
    ),
  ) as { version: string };
  const hash = createHash('sha256').update(EMBEDDED_POSTGRESQL_CONF.join('\n'));
  for (const m of await loadMigrations()) hash.update(`${m.version}\n${m.sql}\n`);
  return `pglite-${pkg.version}-${hash.digest('hex').slice(0, 12)}`;
}

/** Runs initdb + migrations in a child process: initdb's peak (~700 MB) is returned to the system when it exits. */
function initInChild(dir: string): Promise<void> {
  const args = INIT_ENTRY.endsWith('.ts') ? ['--import', 'tsx', INIT_ENTRY, dir] : [INIT_ENTRY, dir];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`embedded database initdb failed (${code}): ${stderr.trim()}`)),
    );
  });
}

/**
 * Makes (once per installation) a migrated, empty cluster in node_modules/.cache/switchboard. Returns its path,
 * or undefined when the cache cannot be written (a read-only installation).
 */
export async function ensureEmbeddedTemplate(cacheDir = TEMPLATE_CACHE): Promise<string | undefined> {
  const template = path.join(cacheDir, await templateName());
  if (await exists(path.join(template, 'PG_VERSION'))) return template;
  const tmp = `${template}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(cacheDir, { recursive: true });
  } catch {
    return undefined;
  }
  try {
    await initInChild(tmp);
    // Readable by every user: `npm ci` or an image build runs as root, the daemon as its own user. It holds no
    // data (an empty, migrated cluster); each copy is made private again.
    await chmodTree(tmp, 0o755, 0o644);
    // Two first starts at once: the first rename wins, the other's copy is dropped.
    await rename(tmp, template).catch(async (err: NodeJS.ErrnoException) => {
      if (!(await exists(path.join(template, 'PG_VERSION')))) throw err;
    });
    return template;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Prepares `pgDir` for PGlite: an existing cluster is kept; an empty directory gets a copy of the migrated
 * template (a file copy instead of initdb: ~0.3 s instead of ~5 s), or its own initdb in a child process.
 */
export async function prepareEmbeddedCluster(pgDir: string, cacheDir = TEMPLATE_CACHE): Promise<void> {
  if (await exists(path.join(pgDir, 'PG_VERSION'))) return;
  if ((await readdir(pgDir).catch(() => [])).length > 0)
    throw new Error(
      `${pgDir} holds files but no database (PG_VERSION is missing): move it away to start afresh`,
    );
  // A read-only installation (a systemd unit's ProtectSystem, an image without the template) still starts: the
  // cluster is then made in place.
  const template = await ensureEmbeddedTemplate(cacheDir).catch(() => undefined);
  await mkdir(path.dirname(pgDir), { recursive: true });
  // Made beside and renamed into place, so a crash never leaves a half-made cluster that looks complete.
  const tmp = `${pgDir}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    if (template) await cp(template, tmp, { recursive: true });
    else await initInChild(tmp);
    await chmodTree(tmp, 0o700, 0o600);
    await rm(pgDir, { recursive: true, force: true });
    await rename(tmp, pgDir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function chmodTree(dir: string, dirMode: number, fileMode: number): Promise<void> {
  await chmod(dir, dirMode);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const p = path.join(entry.parentPath ?? entry.path, entry.name);
    if (entry.isDirectory()) await chmod(p, dirMode);
    else if (entry.isFile()) await chmod(p, fileMode);
  }
}
