import { createHash } from 'node:crypto';
import { mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConfigError } from './core/errors.js';

export interface DataDirLock {
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  startedAt: string;
}

/**
 * One daemon per data directory. The lock is a Unix socket in the directory: the kernel releases it when the
 * process dies (no stale lock after a crash or `kill -9`, no trust in a recycled pid), and a second start learns
 * the running daemon's pid by connecting to it. Works across containers that share the directory as a volume.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, 'switchboard.lock');
  const address = socketAddress(file);
  const holder: Holder = { pid: process.pid, startedAt: new Date().toISOString() };
  const server = net.createServer((socket) => socket.end(JSON.stringify(holder)));
  server.unref();
  for (let attempt = 0; ; attempt++) {
    const error = await listen(server, address);
    if (!error) break;
    if (error.code !== 'EADDRINUSE' || attempt >= 2) throw error;
    const running = await ask(address);
    if (running)
      throw new ConfigError(
        `data directory ${dataDir} is in use by another switchboard (pid ${running.pid}, started ${running.startedAt}): stop it first, or give this one its own SWITCHBOARD_DATA_DIR`,
      );
    // Nobody answers: a socket file left by a daemon that died. Take it over.
    if (!address.startsWith('\0')) await unlink(address).catch(() => {});
  }
  return {
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Socket paths are limited to ~107 bytes: a shorter relative path, or an abstract socket named by a hash. */
function socketAddress(file: string): string {
  if (Buffer.byteLength(file) <= 100) return file;
  const relative = path.relative(process.cwd(), file);
  if (Buffer.byteLength(relative) <= 100) return relative;
  return `\0switchboard-${createHash('sha256').update(file).digest('hex').slice(0, 32)}`;
}

function listen(server: net.Server, address: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => resolve(err);
    server.once('error', onError);
    server.listen(address, () => {
      server.off('error', onError);
      resolve(undefined);
    });
  });
}

/** The running daemon's answer; undefined when nothing listens (ECONNREFUSED: a socket file left by a crash). */
function ask(address: string): Promise<Holder | undefined> {
  return new Promise((resolve) => {
    let data = '';
    let connected = false;
    const socket = net.connect(address, () => {
      connected = true;
    });
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (d) => {
      data += d;
    });
    socket.once('error', () => {});
    socket.once('close', () => {
      if (!connected) return resolve(undefined);
      try {
        resolve(JSON.parse(data) as Holder);
      } catch {
        // Something accepts connections there but does not answer like a daemon (busy or hung): still in use.
        resolve({ pid: Number.NaN, startedAt: 'unknown' });
      }
    });
  });
}
