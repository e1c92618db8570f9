import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { writeDocsSection } from './report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DOCS = path.join(ROOT, 'docs', 'benchmarks.md');
const log = (line: string) => console.error(`[bench:memory] ${line}`);

/** The targets of issue 17 (no WhatsApp browser running). */
const TARGETS = { embeddedRssMb: 250, emptyReadyMs: 3000, postgresRssMb: 150 };

type Runner = 'npm start' | 'built';
type Scenario = 'embedded, empty data directory' | 'embedded, restart' | 'PostgreSQL';

interface Sample {
  readyMs: number;
  /** CPU time (user + system) the process spent until ready: what the start costs, whatever else runs. */
  cpuMs: number;
  rssReadyMb: number;
  rssSettledMb: number;
  peakMb: number;
}

async function status(pid: number): Promise<{ rss: number; hwm: number; cpuMs: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(text)?.[1] ?? Number.NaN);
  // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, cpuMs };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the daemon as an operator does, polls /readyz until 200 and reads the process's memory at that moment
 * and after it settled. The clock starts before the process is spawned.
 */
async function measure(runner: Runner, env: Record<string, string>, settleMs: number): Promise<Sample> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const started = performance.now();
  const [cmd, args] =
    runner === 'built'
      ? [process.execPath, ['dist/main.js']]
      : [process.execPath, ['--import', 'tsx', 'src/main.ts']];
  const child: ChildProcess = spawn(cmd, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > 60_000) throw new Error('not ready after 60 s');
      await sleep(20);
    }
    const readyMs = performance.now() - started;
    const atReady = await status(child.pid!);
    await sleep(settleMs);
    const settled = await status(child.pid!);
    return {
      readyMs,
      cpuMs: atReady.cpuMs,
      rssReadyMb: atReady.rss,
      rssSettledMb: settled.rss,
      peakMb: Math.max(atReady.hwm, settled.hwm),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `npm run bench -- memory [--runs=N] [--settle-ms=N] [--write-docs]`: memory and start time of the daemon. */
export async function runMemoryBench(argv: string[]): Promise<void> {
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const runs = Number(arg('runs') ?? 3);
  const settleMs = Number(arg('settle-ms') ?? 5000);
  const loadBefore = os.loadavg()[0]!.toFixed(2);
  log('npm run build');
  await promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: ROOT });
  log('the embedded database template (npm install makes it)');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'prepare-embedded'], {
    cwd: ROOT,
  });

  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const dbName = `sb_bench_mem_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  const pgUrl = new URL(adminUrl);
  pgUrl.pathname = `/${dbName}`;

  const results: { runner: Runner; scenario: Scenario; samples: Sample[] }[] = [];
  const dirs: string[] = [];
  try {
    for (const runner of ['npm start', 'built'] as Runner[]) {
      const scenarios: [Scenario, () => Promise<Record<string, string>>][] = [
        [
          'embedded, empty data directory',
          async () => {
            const d = await mkdtemp(path.join(os.tmpdir(), 'sb-mem-'));
            dirs.push(d);
            return { SWITCHBOARD_DATA_DIR: d };
          },
        ],
        ['embedded, restart', async () => ({ SWITCHBOARD_DATA_DIR: dirs.at(-1)! })],
        [
          'PostgreSQL',
          async () => {
            const d = await mkdtemp(path.join(os.tmpdir(), 'sb-mem-'));
            dirs.push(d);
            return { SWITCHBOARD_DATA_DIR: d, DATABASE_URL: pgUrl.toString() };
          },
        ],
      ];
      for (const [scenario, envOf] of scenarios) {
        const samples: Sample[] = [];
        for (let i = 0; i < runs; i++) {
          // "restart" reuses the directory the previous empty-directory run created.
          const env =
            scenario === 'embedded, restart' ? { SWITCHBOARD_DATA_DIR: dirs.at(-1)! } : await envOf();
          samples.push(await measure(runner, env, settleMs));
          log(`${runner} / ${scenario} #${i + 1}: ${JSON.stringify(samples.at(-1))}`);
        }
        results.push({ runner, scenario, samples });
      }
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }

  const loadAfter = os.loadavg()[0]!.toFixed(2);
  const cpus = os.cpus();
  const fmt = (n: number) => n.toFixed(0);
  const lines = [
    `Measured by \`npm run bench -- memory${argv.length ? ` ${argv.join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus.length} × ${cpus[0]?.model.trim()}, Node ${process.versions.node}, load average ${loadBefore} before and ${loadAfter} after. Median of ${runs} starts each; the clock starts before the process is spawned and stops at the first \`/readyz\` 200; CPU is the daemon's user + system time until then (the child that makes a missing template is not counted; the template exists, as after \`npm install\`); RSS from \`/proc/<pid>/status\` at that moment and ${settleMs / 1000} s later; peak is VmHWM. Targets: ≤ ${TARGETS.embeddedRssMb} MB and ≤ ${TARGETS.emptyReadyMs / 1000} s on an empty data directory (embedded), ≤ ${TARGETS.postgresRssMb} MB with PostgreSQL.`,
    '',
    '| runs as | database | ready after | CPU until ready | RSS at ready | RSS settled | peak RSS |',
    '| ------- | -------- | ----------: | --------------: | -----------: | ----------: | -------: |',
    ...results.map(({ runner, scenario, samples }) => {
      const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
      return `| ${runner === 'built' ? '`node dist/main.js`' : '`npm start` (tsx)'} | ${scenario} | ${(m('readyMs') / 1000).toFixed(2)} s | ${(m('cpuMs') / 1000).toFixed(2)} s | ${fmt(m('rssReadyMb'))} MB | ${fmt(m('rssSettledMb'))} MB | ${fmt(m('peakMb'))} MB |`;
    }),
  ];
  const md = lines.join('\n');
  console.log(md);
  if (argv.includes('--write-docs')) {
    await writeDocsSection(DOCS, '## Memory and start time', 'memory', md);
    log(`written to ${DOCS}`);
  }
}
