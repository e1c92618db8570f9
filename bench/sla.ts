import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { configSchema } from '../src/config/schema.js';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { silentLogger } from '../src/observability/logger.js';
import { createSlaScanner } from '../src/sla/scanner.js';

/** Options of the SLA benchmark; the defaults are what `npx tsx bench/sla.ts` runs. */
export interface SlaBenchOptions {
  /** Admin URL of a PostgreSQL server (a scratch database is created and dropped); absent: embedded PGlite. */
  adminUrl?: string;
  /** Open new leads, first contacts spread evenly over the last `spreadHours`. */
  leads?: number;
  spreadHours?: number;
}

export interface SlaBenchResult {
  bench: 'sla';
  database: 'postgres' | 'embedded';
  openNewLeads: number;
  /** First pass: fires every due step and delivers its in-app notifications. */
  firstPass: { ms: number; stepsFired: number; deliveriesSent: number; deliveriesPerSecond: number };
  /** A pass with nothing new to fire or send: the cost of re-evaluating every open new lead. */
  steadyPassMs: number;
}

const H = 3_600_000;

/** Seeds open new leads and measures scanner passes (in-app channel only: the database work, no network). */
export async function runSlaBench(options: SlaBenchOptions = {}): Promise<SlaBenchResult> {
  const n = options.leads ?? 5_000;
  const spread = (options.spreadHours ?? 10) * H;
  const now = new Date('2026-11-20T12:00:00Z');
  let dropScratch = async () => {};
  let url: string | undefined;
  if (options.adminUrl) {
    const name = `sb_bench_sla_${randomBytes(4).toString('hex')}`;
    const admin = postgres(options.adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const u = new URL(options.adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    dropScratch = async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    };
  }
  const db = await openDatabase(url ? { url } : {});
  try {
    await migrate(db.sql);
    await db.sql`
      WITH c AS (
        INSERT INTO contacts (name) SELECT 'Клиент ' || i FROM generate_series(1, ${n}) AS i RETURNING id)
      INSERT INTO leads (contact_id, kind, channel, account, team, responsible, first_contact_at)
      SELECT id, 'new', 'webform', 'site', 'retail', 'petrova',
        ${now}::timestamptz - (row_number() OVER () * ${spread / n} * interval '1 millisecond')
      FROM c`;
    const config = configSchema.parse({
      managers: [
        { login: 'petrova', name: 'Мария Петрова' },
        { login: 'head', name: 'Анна Руководитель' },
      ],
      teams: [{ id: 'retail', name: 'Розница', supervisor: 'head', members: ['petrova'] }],
      routing: { fallbackTeam: 'retail' },
      sla: {
        default: {
          steps: [
            { id: 'remind', after: '1h30m', to: ['assignee'] },
            { id: 'supervisor', after: '2h', to: ['supervisor'] },
            { id: 'head', after: '4h', to: ['manager:head'] },
          ],
        },
        scanner: { batchSize: 500 },
      },
    });
    const scanner = createSlaScanner({
      sql: db.sql,
      config,
      clock: () => now,
      log: silentLogger,
      instanceId: 'bench',
    });
    let t0 = performance.now();
    const first = await scanner.runOnce();
    const firstMs = performance.now() - t0;
    t0 = performance.now();
    const steady = await scanner.runOnce();
    const steadyPassMs = performance.now() - t0;
    if (steady.fired !== 0 || steady.outcomes.sent !== 0)
      throw new Error('the steady pass should do nothing');
    return {
      bench: 'sla',
      database: db.kind,
      openNewLeads: n,
      firstPass: {
        ms: Math.round(firstMs),
        stepsFired: first.fired,
        deliveriesSent: first.outcomes.sent,
        deliveriesPerSecond: Math.round(first.outcomes.sent / (firstMs / 1000)),
      },
      steadyPassMs: Math.round(steadyPassMs),
    };
  } finally {
    await db.close();
    await dropScratch();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  console.log(JSON.stringify(await runSlaBench({ adminUrl })));
  console.log(JSON.stringify(await runSlaBench({ leads: 1_000 })));
}
