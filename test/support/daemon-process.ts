import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface DaemonProcess {
  port: number;
  /** The daemon's pid (from its log; with `npm start` the child of npm). */
  pid: number;
  child: ChildProcess;
  /** Every log line so far (stdout), parsed. */
  logs: Record<string, unknown>[];
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /**
   * `node` (default): the command `npm start` runs; `npm`: `npm start` itself, in a process group of its own
   * (signals to the group reach npm and the daemon, as a terminal's Ctrl-C or a service manager's stop does);
   * `built`: the compiled daemon, `node dist/main.js` (run `npm run build` first).
   */
  via?: 'node' | 'npm' | 'built';
}

/** Starts the daemon and waits until it listens. `pid` is the daemon's own process. */
export async function startDaemonProcess(
  env: Record<string, string>,
  opts: StartOptions = {},
): Promise<DaemonProcess> {
  const via = opts.via ?? 'node';
  const [command, args] =
    via === 'npm'
      ? ['npm', ['start', '--silent']]
      : via === 'built'
        ? [process.execPath, ['dist/main.js']]
        : [process.execPath, ['--import', 'tsx', 'src/main.ts']];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: via === 'npm',
  });
  let out = '';
  let err = '';
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let pid = 0;
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
            pid = entry.pid as number;
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
    pid,
    child,
    logs,
    output: () => out + err,
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}
