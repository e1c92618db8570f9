import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { configSchema } from '../src/config/schema.js';
import { migrate } from '../src/db/migrate.js';
import { createApp } from '../src/http/app.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';

/**
 * The MegaFon `contact` lookup at scale: a fresh PostgreSQL database with `contacts` contacts (a phone and an
 * e-mail each, 10% with an active deal, 20% with an open lead), then `lookups` sequential `cmd=contact`
 * requests through the real HTTP app (form parsing, token check, the indexed query under its transaction
 * and statement_timeout, the JSON answer), measured server-side: no socket, one request at a time.
 * Self-contained: seeds with INSERT ... SELECT generate_series, so it needs nothing else from bench/.
 */
export interface TelephonyBenchOptions {
  /** An admin URL of the PostgreSQL server; the bench creates and drops its own database there. */
  adminUrl?: string;
  contacts?: number;
  lookups?: number;
  /** Share of lookups for numbers that are not in the database. */
  unknownShare?: number;
  keepDatabase?: boolean;
  /** Measure on a database a previous run kept (BENCH_DATABASE), skipping the seed. */
  database?: string;
  log?: (line: string) => void;
}

export interface TelephonyBenchResult {
  bench: 'telephony-contact';
  contacts: number;
  identities: number;
  seedMs: number;
  lookups: number;
  found: number;
  withResponsible: number;
  /** Per-request latency in milliseconds. */
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  requestsPerSecond: number;
}

const phoneSql = (i: string) =>
  `'+79' || lpad(((${i}::bigint * 387420489 + 12345) % 1000000000)::text, 9, '0')`;
const digitsOf = (i: number) => `79${String((i * 387_420_489 + 12_345) % 1_000_000_000).padStart(9, '0')}`;

export async function runTelephonyContactBench(
  opts: TelephonyBenchOptions = {},
): Promise<TelephonyBenchResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const adminUrl =
    opts.adminUrl ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const n = opts.contacts ?? 1_000_000;
  const lookups = opts.lookups ?? 20_000;
  const unknownShare = opts.unknownShare ?? 0.2;
  const reuse = opts.database !== undefined;
  const name = opts.database ?? `sb_bench_tel_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  if (!reuse) await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let telephonyStop: (() => Promise<void>) | undefined;
  const sql = postgres(url.toString(), {
    max: 10,
    onnotice: () => {},
    transform: { column: { from: postgres.toCamel } },
  });
  try {
    await migrate(sql);
    let t0 = performance.now();
    if (!reuse) await seedContacts(sql, n, log);
    const seedMs = reuse ? 0 : performance.now() - t0;
    const [{ identities, contacts } = { identities: 0, contacts: 0 }] = await sql<
      { identities: number; contacts: number }[]
    >`SELECT (SELECT count(*) FROM identities)::int AS identities, (SELECT count(*) FROM contacts)::int AS contacts`;
    if (!reuse) log(`seeded in ${(seedMs / 1000).toFixed(1)} s (${identities} identities)`);

    const config = configSchema.parse({
      managers: [
        { login: 'ivanov', name: 'Иван Иванов', pbxLogin: 'ivanov' },
        { login: 'petrova', name: 'Мария Петрова', pbxLogin: 'petrov' },
        { login: 'sidorov', name: 'Олег Сидоров', pbxLogin: 'sidorov' },
      ],
      teams: [{ id: 'retail', name: 'Розница', members: ['ivanov', 'petrova', 'sidorov'] }],
      routing: { fallbackTeam: 'retail' },
      telephony: { megafon: [{ account: 'main', crmToken: 'bench-crm-token' }] },
    });
    const clock = () => new Date();
    const metrics = createMetrics();
    const pipeline = createPipeline({
      sql,
      config,
      clock,
      log: silentLogger,
      metrics,
      databaseUrl: url.toString(),
    });
    const { telephony } = pipeline;
    telephonyStop = telephony.stop;
    const app = createApp({
      ...pipeline,
      sql,
      config,
      metrics,
      log: silentLogger,
      clock,
      tokens: [],
      isAccepting: () => true,
      telephony,
    });

    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const phoneFor = () =>
      random() < unknownShare
        ? `7900${String(Math.floor(random() * 1e7)).padStart(7, '0')}`
        : digitsOf(1 + Math.floor(random() * n));
    const request = async (phone: string) => {
      const res = await app.request('/webhooks/megafon/main', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `cmd=contact&phone=${phone}&callid=bench&crm_token=bench-crm-token`,
      });
      return (await res.json()) as { contact_name?: string; responsible?: string };
    };

    for (let i = 0; i < 2_000; i++) await request(phoneFor()); // warm-up: plans, caches, JIT
    const latencies = new Float64Array(lookups);
    let found = 0;
    let withResponsible = 0;
    t0 = performance.now();
    for (let i = 0; i < lookups; i++) {
      const phone = phoneFor();
      const s = performance.now();
      const answer = await request(phone);
      latencies[i] = performance.now() - s;
      if (answer.contact_name) found++;
      if (answer.responsible) withResponsible++;
    }
    const totalMs = performance.now() - t0;
    latencies.sort();
    const q = (p: number) => round(latencies[Math.min(lookups - 1, Math.floor(p * lookups))]!);
    return {
      bench: 'telephony-contact',
      contacts,
      identities,
      seedMs: Math.round(seedMs),
      lookups,
      found,
      withResponsible,
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
      p999: q(0.999),
      max: round(latencies[lookups - 1]!),
      requestsPerSecond: Math.round(lookups / (totalMs / 1000)),
    };
  } finally {
    await telephonyStop?.();
    await sql.end({ timeout: 5 });
    if (!opts.keepDatabase && !reuse) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** Contacts with a phone and an e-mail each; 10% with an active deal, 20% with an open lead. */
async function seedContacts(sql: postgres.Sql, n: number, log: (line: string) => void): Promise<void> {
  log(`seeding ${n} contacts...`);
  await sql.unsafe(`
    INSERT INTO contacts (id, external_id, name, status, responsible)
    SELECT md5('c' || i)::uuid, 'bench-' || i, 'Клиент ' || i,
           CASE WHEN i % 10 < 2 THEN 'client' ELSE 'prospect' END,
           (ARRAY['ivanov', 'petrova', 'sidorov', NULL])[i % 4 + 1]
    FROM generate_series(1, ${n}) AS i`);
  await sql.unsafe(`
    INSERT INTO identities (contact_id, kind, value, source)
    SELECT md5('c' || i)::uuid, 'phone', ${phoneSql('i')}, 'bench' FROM generate_series(1, ${n}) AS i
    UNION ALL
    SELECT md5('c' || i)::uuid, 'email', 'client' || i || '@example' || (i % 97) || '.ru', 'bench'
    FROM generate_series(1, ${n}) AS i`);
  await sql.unsafe(`
    INSERT INTO deals (external_id, contact_id, status, stage, responsible)
    SELECT 'deal-' || i, md5('c' || i)::uuid, 'active', 'Замер', (ARRAY['ivanov', 'petrova', 'sidorov'])[i % 3 + 1]
    FROM generate_series(1, ${n}) AS i WHERE i % 10 = 0`);
  await sql.unsafe(`
    INSERT INTO leads (contact_id, kind, channel, account, team, responsible, first_contact_at)
    SELECT md5('c' || i)::uuid, 'new', 'phone', 'main', 'retail', (ARRAY['petrova', 'sidorov', NULL])[i % 3 + 1], now()
    FROM generate_series(1, ${n}) AS i WHERE i % 10 IN (3, 4)`);
  await sql.unsafe('ANALYZE');
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const contacts = Number(process.env.BENCH_CONTACTS ?? 1_000_000);
  const database = process.env.BENCH_DATABASE;
  runTelephonyContactBench({ contacts, ...(database ? { database, keepDatabase: true } : {}) }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
