import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DaemonProcess {
  port: number;
  child: ChildProcess;
  /** Every log line so far (stdout), parsed. */
  logs: Record<string, unknown>[];
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the daemon exactly as `npm start` does (tsx src/main.ts) and waits until it listens. */
export async function startDaemonProcess(env: Record<string, string>): Promise<DaemonProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${out}\n${err}`)), 60_000);
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      for (const line of d.toString().split('\n')) {
        if (!line.trim()) continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry.msg === 'switchboard listening') {
            clearTimeout(timer);
            resolve(entry.port as number);
          }
        } catch {}
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    port,
    child,
    logs,
    output: () => out + err,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}
