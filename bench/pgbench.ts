import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { machineCpuMs } from './cpu.js';
import { DEFAULT_ADMIN_URL } from './database.js';

const run = promisify(execFile);

export interface PgbenchOptions {
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
}

export interface PgbenchResult extends PgbenchOptions {
  /** Transactions per second, without the initial connection time. */
  tps: number;
  /** Mean latency of a transaction as pgbench reports it. */
  latencyMs: number;
  /**
   * The whole machine's CPU while pgbench ran (server, pgbench itself and anything else; Linux only): the share
   * of all cores that was busy, and busy CPU ms per transaction. A share near 1 means pgbench was bound by the
   * cores, not by the WAL's flushes; its CPU per transaction is then the budget that 1.0 × pgbench gives a
   * decision (daemon, PostgreSQL and load generator together).
   */
  cpu?: { busyShare: number; msPerTransaction: number };
}

/** The yardstick: the built-in TPC-B-like script, scale 10, 8 clients, 2 threads, 20 s. */
export const PGBENCH_DEFAULTS: PgbenchOptions = { scale: 10, clients: 8, threads: 2, seconds: 20 };

/**
 * Runs `pgbench` (TPC-B-like) on a scratch database of the same PostgreSQL server as the bench, so that the
 * pipeline's decisions/s can be read against what the server does with the simplest write transactions in the
 * same minutes. Undefined (with the reason logged) when the pgbench binary is missing.
 */
export async function runPgbench(
  opts: PgbenchOptions,
  log: (line: string) => void,
  adminUrl = DEFAULT_ADMIN_URL,
): Promise<PgbenchResult | undefined> {
  try {
    await run('pgbench', ['--version']);
  } catch {
    log('pgbench not found: skipped (apt-get install postgresql-contrib, or the postgresql-client package)');
    return undefined;
  }
  const name = `sb_pgbench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
    log(`pgbench: initializing scale ${opts.scale} in ${name}`);
    await run('pgbench', ['-i', '-q', '-s', String(opts.scale), url.toString()]);
    log(`pgbench: TPC-B-like, ${opts.clients} clients, ${opts.threads} threads, ${opts.seconds} s`);
    const before = machineCpuMs();
    const { stdout } = await run('pgbench', [
      '-c',
      String(opts.clients),
      '-j',
      String(opts.threads),
      '-T',
      String(opts.seconds),
      url.toString(),
    ]);
    const after = machineCpuMs();
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1];
    const processed = /number of transactions actually processed: (\d+)/.exec(stdout)?.[1];
    if (!tps) throw new Error(`cannot read tps from pgbench output:\n${stdout}`);
    const busy = before && after ? after.busy - before.busy : 0;
    const all = before && after ? busy + after.idle - before.idle : 0;
    return {
      ...opts,
      tps: Math.round(Number(tps)),
      latencyMs: Number(latency ?? Number.NaN),
      ...(all > 0 && Number(processed) > 0
        ? {
            cpu: {
              busyShare: Math.round((busy / all) * 100) / 100,
              msPerTransaction: Math.round((busy / Number(processed)) * 1000) / 1000,
            },
          }
        : {}),
    };
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}
