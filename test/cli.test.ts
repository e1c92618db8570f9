import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inboundBody } from './support/context.js';
import { startDaemonProcess } from './support/daemon-process.js';
import { freshPhone } from './support/ids.js';
import { tempDirs } from './support/temp-dirs.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TOKEN = 'sample-token-change-me';

function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, out })),
  );
}

describe('switchboard commands', () => {
  const tempDir = tempDirs('sb-cli-');

  it('check-config validates a file without starting anything', async () => {
    const ok = await cli(['check-config', 'config/switchboard.example.yaml']);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toMatch(/switchboard\.example\.yaml: valid \(2 teams/);
    const bad = await cli(['check-config', 'test/fixtures-config/bad.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/routing\.fallbackTeam: unknown team "nowhere"/);
  }, 180_000);

  it('backs up the embedded database only while no daemon runs, and restores it into another data directory', async () => {
    const dataDir = await tempDir();
    const file = path.join(await tempDir(), 'backup.tar.gz');
    const phone = freshPhone();
    const daemon = await startDaemonProcess({ SWITCHBOARD_DATA_DIR: dataDir });
    const res = await fetch(`http://127.0.0.1:${daemon.port}/api/v1/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(inboundBody({ from: { phones: [phone] } })),
    });
    expect(res.status).toBe(200);
    const refused = await cli(['backup', file], { SWITCHBOARD_DATA_DIR: dataDir });
    expect(refused.code).toBe(2);
    expect(refused.out).toContain(`in use by another switchboard (pid ${daemon.pid},`);
    expect(await daemon.stop()).toBe(0);

    const done = await cli(['backup', file], { SWITCHBOARD_DATA_DIR: dataDir });
    expect(done).toMatchObject({ code: 0 });
    expect((await stat(file)).size).toBeGreaterThan(100_000);

    // Never over an existing database without --force.
    const overwrite = await cli(['restore', file], { SWITCHBOARD_DATA_DIR: dataDir });
    expect(overwrite.code).toBe(2);
    expect(overwrite.out).toContain('already holds a database: pass --force');

    const elsewhere = await tempDir();
    expect(await cli(['restore', file], { SWITCHBOARD_DATA_DIR: elsewhere })).toMatchObject({ code: 0 });
    const restored = await startDaemonProcess({ SWITCHBOARD_DATA_DIR: elsewhere });
    const found = await fetch(`http://127.0.0.1:${restored.port}/api/v1/contacts?phone=${phone}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(((await found.json()) as { contacts: unknown[] }).contacts).toHaveLength(1);
    expect(await restored.stop()).toBe(0);
  }, 180_000);
});
