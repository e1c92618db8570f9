import { readFileSync } from 'node:fs';
import type { Sql } from 'postgres';

const MS_PER_TICK = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system, ms) of a process from /proc; undefined off Linux or when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  client: number;
  daemon?: number;
  postgres: Map<number, number>;
}

/**
 * Where the CPU goes: this process (the load generator), the daemon children, and the PostgreSQL processes
 * working for the bench database (its backends, the WAL writer, the checkpointer, the background writer).
 * Read from /proc, so it needs the server on this machine; elsewhere the postgres share stays empty. Without
 * `sql` (the embedded database, which runs inside the daemon child) there is no PostgreSQL process to read.
 */
export async function cpuSnapshot(sql: Sql | undefined, daemonPids: readonly number[]): Promise<CpuSnapshot> {
  const rows = sql
    ? await sql<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`
    : [];
  const postgres = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = processCpuMs(pid);
    if (ms !== undefined) postgres.set(pid, ms);
  }
  const usage = process.cpuUsage();
  // Every daemon child together (--instances): their CPU per event is the daemons' share.
  const daemon =
    daemonPids.length === 0 ? undefined : daemonPids.reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
  return {
    client: (usage.user + usage.system) / 1000,
    ...(daemon !== undefined ? { daemon } : {}),
    postgres,
  };
}

/** CPU ms per event between two snapshots; `daemon` is absent when the daemon runs in this process. */
export interface CpuPerEvent {
  client: number;
  daemon?: number;
  postgres: number;
  total: number;
}

export function cpuPerEvent(a: CpuSnapshot, b: CpuSnapshot, events: number): CpuPerEvent | undefined {
  if (events === 0) return undefined;
  let pg = 0;
  // Backends that appeared during the step count from zero; those that ended are lost (pools keep them).
  for (const [pid, ms] of b.postgres) pg += ms - (a.postgres.get(pid) ?? 0);
  const r = (ms: number) => Math.round((ms / events) * 100) / 100;
  const client = r(b.client - a.client);
  const daemon = a.daemon !== undefined && b.daemon !== undefined ? r(b.daemon - a.daemon) : undefined;
  const postgres = r(pg);
  return {
    client,
    ...(daemon !== undefined ? { daemon } : {}),
    postgres,
    total: Math.round((client + (daemon ?? 0) + postgres) * 100) / 100,
  };
}

/** The whole machine's CPU time from /proc/stat (ms, all cores): busy (everything but idle and iowait) and idle. */
export function machineCpuMs(): { busy: number; idle: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return { busy: busy * MS_PER_TICK, idle: idle * MS_PER_TICK };
  } catch {
    return undefined;
  }
}
