/**
 * What one statement costs the daemon's driver and the server, apart from what it does: transactions of
 * key lookups on a 100,000-row table, pipelined as the decision batch pipelines its statements, one connection,
 * one at a time. Read against the ~23 statements of a lone event (docs/benchmarks.md, «Issue 18: one event's
 * cost, and the PBX's lookup beside the load», item 2).
 *
 * Run: `npx tsx bench/statements.ts` (a scratch database `sb_bench_<rand>` on the local server, dropped at the
 * end). Prints per transaction: wall time, the Node process's CPU and the server backend's CPU (from /proc, so
 * the server must run on this machine).
 */
import type postgres from 'postgres';
import { openDatabase } from '../src/db/connect.js';
import { processCpuMs } from './cpu.js';
import { benchDatabase } from './database.js';

const TRANSACTIONS = 3_000;
const ROUNDS = 2;

const scratch = await benchDatabase(undefined);
// Connected as the daemon connects (src/db/connect.ts).
const db = await openDatabase({ url: scratch.url, maxConnections: 1 });
const sql = db.sql;
try {
  await sql`CREATE TABLE identities (kind text NOT NULL, value text NOT NULL, contact_id uuid NOT NULL,
    PRIMARY KEY (kind, value))`;
  await sql`INSERT INTO identities SELECT 'phone', '+79' || (100000000 + n * 7919), gen_random_uuid()
    FROM generate_series(1, 100000) AS n`;
  await sql`VACUUM ANALYZE identities`;
  const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  const serverCpuMs = () => {
    const ms = processCpuMs(row!.pid);
    if (ms === undefined)
      throw new Error('the server backend is not readable in /proc: is it on this machine?');
    return ms;
  };
  const phones = Array.from({ length: 20 }, (_, i) => `+79${100000000 + (i + 1) * 7919}`);
  const one = (tx: postgres.TransactionSql, p: string) =>
    tx`SELECT contact_id FROM identities WHERE kind = 'phone' AND value = ${p}`;
  const variants: [string, (tx: postgres.TransactionSql) => unknown[]][] = [
    ['BEGIN + COMMIT, no statement', () => []],
    [
      '1 statement (20 keys by ANY)',
      (tx) => [tx`SELECT contact_id FROM identities WHERE kind = 'phone' AND value = ANY(${phones})`],
    ],
    ['10 statements, pipelined', (tx) => phones.slice(0, 10).map((p) => one(tx, p))],
    ['20 statements, pipelined', (tx) => phones.map((p) => one(tx, p))],
  ];
  console.log(`${TRANSACTIONS} transactions per variant, ${ROUNDS} rounds; per transaction:`);
  console.log('| variant | wall ms | Node CPU ms | server CPU ms |');
  console.log('|---|---|---|---|');
  for (let round = 0; round < ROUNDS; round++)
    for (const [label, body] of variants) {
      for (let i = 0; i < 200; i++) await sql.begin(body); // warm up: plans, JIT
      const cpu0 = process.cpuUsage();
      const server0 = serverCpuMs();
      const t0 = performance.now();
      for (let i = 0; i < TRANSACTIONS; i++) await sql.begin(body);
      const wall = (performance.now() - t0) / TRANSACTIONS;
      const cpu = process.cpuUsage(cpu0);
      const node = (cpu.user + cpu.system) / 1000 / TRANSACTIONS;
      const server = (serverCpuMs() - server0) / TRANSACTIONS;
      console.log(`| ${label} | ${wall.toFixed(3)} | ${node.toFixed(3)} | ${server.toFixed(3)} |`);
    }
} finally {
  await db.close();
  await scratch.drop();
}
