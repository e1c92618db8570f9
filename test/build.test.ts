import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundBody } from './support/context.js';
import { startDaemonProcess } from './support/daemon-process.js';
import { openTestDatabase } from './support/db.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

/** Resident memory of a process, from /proc (Linux). */
async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

// Issue 17's budgets after start (no WhatsApp browser); `npm run bench -- memory` reports the figures.
const RSS_BUDGET_MB = { embedded: 250, postgres: 150 } as const;

const ROOT = fileURLToPath(new URL('../', import.meta.url));

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

// What production runs (Docker image, systemd unit): `npm run build`, then `node dist/main.js` without tsx.
describe('the built daemon', () => {
  let dataDir: string;
  beforeAll(async () => {
    await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: ROOT });
    dataDir = await mkdtemp(path.join(tmpdir(), 'sb-built-'));
  }, 240_000);
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('holds every asset under src/ (migrations included) and no test code', async () => {
    const src = await filesUnder(path.join(ROOT, 'src'));
    const dist = await filesUnder(path.join(ROOT, 'dist'));
    // TypeScript (.ts, and the web app's .tsx views) is compiled; everything else is copied as it is.
    for (const asset of src.filter((f) => !/\.tsx?$/.test(f))) expect(dist).toContain(asset);
    expect(dist).toContain(path.join('db', 'migrations', '001_core.sql'));
    expect(dist.filter((f) => f.includes('.test.'))).toEqual([]);
  });

  it('starts with node dist/main.js on an empty data directory, decides, and stops on SIGTERM', async () => {
    const daemon = await startDaemonProcess({ SWITCHBOARD_DATA_DIR: dataDir }, { via: 'built' });
    expect((await fetch(`http://127.0.0.1:${daemon.port}/readyz`)).status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${daemon.port}/api/v1/inbound`, {
      method: 'POST',
      headers: { authorization: 'Bearer sample-token-change-me', 'content-type': 'application/json' },
      body: JSON.stringify(inboundBody({ from: { phones: [freshPhone()] } })),
    });
    expect(((await res.json()) as { decision: { kind: string } }).decision.kind).toBe('new_lead');
    expect(await daemon.stop('SIGTERM')).toBe(0);
    expect(daemon.output()).not.toContain('tsx');
  }, 120_000);

  it.each(backends())(
    'stays within its memory budget after start on %s',
    async (backend) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'sb-built-rss-'));
      const db = backend === 'postgres' ? await openTestDatabase('postgres') : undefined;
      try {
        const env = { SWITCHBOARD_DATA_DIR: dir, ...(db ? { DATABASE_URL: db.url! } : {}) };
        const daemon = await startDaemonProcess(env, { via: 'built' });
        expect((await fetch(`http://127.0.0.1:${daemon.port}/readyz`)).status).toBe(200);
        const rss = await rssMb(daemon.pid);
        expect(await daemon.stop()).toBe(0);
        expect(rss).toBeLessThanOrEqual(RSS_BUDGET_MB[backend]);
      } finally {
        await db?.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
