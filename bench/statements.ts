/**
 * What one statement costs the daemon's driver and the server, apart from what it does: transactions of
 * key lookups on a 100,000-row table, pipelined as the decision batch pipelines its statements, one connection,
 * one at a time. Read against the ~23 statements of a lone event (docs/benchmarks.md, «Issue 18: one event's
 * cost, and the PBX's lookup beside the load», item 2).
 *
 * Run: `npx tsx bench/statements.ts` (a scratch database on the local server, dropped at the end;
 * BENCH_ADMIN_URL names another server). Prints per transaction: wall time, the Node process's CPU and the
 * server backend's CPU (from /proc, so the server must run on this machine).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { DEFAULT_ADMIN_URL } from './database.js';

const TRANSACTIONS = 3_000;
const ROUNDS = 2;

const adminUrl = process.env.BENCH_ADMIN_URL ?? DEFAULT_ADMIN_URL;
const name = `sb_statements_${randomBytes(4).toString('hex')}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${name}`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
// As the daemon connects (src/db/connect.ts): camelCase columns.
const sql = postgres(url.toString(), {
  max: 1,
  onnotice: () => {},
  transform: { column: { from: postgres.toCamel } },
});
try {
  await sql`CREATE TABLE identities (kind text NOT NULL, value text NOT NULL, contact_id uuid NOT NULL,
    PRIMARY KEY (kind, value))`;
  await sql`INSERT INTO identities SELECT 'phone', '+79' || (100000000 + n * 7919), gen_random_uuid()
    FROM generate_series(1, 100000) AS n`;
  await sql`VACUUM ANALYZE identities`;
  const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  const pid = row!.pid;
  const serverCpuMs = () => {
    // utime and stime, in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
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
  await sql.end();
  await admin.unsafe(`DROP DATABASE ${name}`);
  await admin.end();
}
