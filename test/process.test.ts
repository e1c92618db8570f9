import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DaemonProcess, startDaemonProcess } from './support/daemon-process.js';

// The process the operator runs: `npm start` on the embedded database (the database makes no difference to
// signals and to the data directory lock, so one backend is enough).
describe('the daemon process under npm start', () => {
  const dirs: string[] = [];
  const running: DaemonProcess[] = [];
  afterAll(async () => {
    for (const d of running) if (d.child.exitCode === null) d.child.kill('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-process-'));
    dirs.push(dir);
    return dir;
  }

  async function npmStart(dir: string): Promise<DaemonProcess> {
    const d = await startDaemonProcess({ SWITCHBOARD_DATA_DIR: dir }, { via: 'npm' });
    running.push(d);
    return d;
  }

  const exitOf = (d: DaemonProcess) =>
    new Promise<number | null>((resolve) =>
      d.child.exitCode !== null ? resolve(d.child.exitCode) : d.child.once('exit', (code) => resolve(code)),
    );

  function expectDrained(d: DaemonProcess) {
    const msgs = d.logs.map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['shutdown requested', 'stopped']));
    expect(msgs).not.toContain('second signal: exiting now');
  }

  it('npm start runs the daemon as npm’s own child, so a signal to npm reaches it: drained, exit 0', async () => {
    const d = await npmStart(await dataDir());
    expect(d.pid).not.toBe(d.child.pid);
    process.kill(d.child.pid!, 'SIGTERM');
    expect(await exitOf(d)).toBe(0);
    expectDrained(d);
  }, 180_000);

  it('SIGTERM to the daemon itself, and SIGINT to the whole process group (Ctrl-C), both drain and exit 0', async () => {
    const dir = await dataDir();
    const first = await npmStart(dir);
    process.kill(first.pid, 'SIGTERM');
    expect(await exitOf(first)).toBe(0);
    expectDrained(first);

    // A group signal reaches the daemon twice (directly and forwarded by npm): still one graceful stop.
    const second = await npmStart(dir);
    process.kill(-second.child.pid!, 'SIGINT');
    expect(await exitOf(second)).toBe(0);
    expectDrained(second);
  }, 180_000);

  it('refuses a second daemon on the same data directory, naming the running one; a crash leaves no stale lock', async () => {
    const dir = await dataDir();
    const first = await startDaemonProcess({ SWITCHBOARD_DATA_DIR: dir });
    running.push(first);
    await expect(startDaemonProcess({ SWITCHBOARD_DATA_DIR: dir })).rejects.toThrow(
      new RegExp(`data directory .* is in use by another switchboard \\(pid ${first.pid},`),
    );
    // The first one is unaffected.
    expect((await fetch(`http://127.0.0.1:${first.port}/readyz`)).status).toBe(200);

    first.child.kill('SIGKILL');
    await exitOf(first);
    const next = await startDaemonProcess({ SWITCHBOARD_DATA_DIR: dir });
    running.push(next);
    expect((await fetch(`http://127.0.0.1:${next.port}/readyz`)).status).toBe(200);
    expect(await next.stop()).toBe(0);
  }, 180_000);

  it('logs "database opened" only once a connection works: an unreachable server stops the start, naming it', async () => {
    const dir = await dataDir();
    // A loopback port nobody listens on (the lock socket's neighbour: never a PostgreSQL).
    const closed = 'postgres://switchboard:secret-password@127.0.0.1:9/switchboard';
    const failure = await startDaemonProcess({ SWITCHBOARD_DATA_DIR: dir, DATABASE_URL: closed }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:9\/switchboard/);
    expect(failure).not.toContain('database opened');
    expect(failure).not.toContain('secret-password');
  }, 180_000);
});
