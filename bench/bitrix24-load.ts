import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { configSchema } from '../src/config/schema.js';
import { createBitrix24Client } from '../src/crm/bitrix24/client.js';
import { createBitrix24Sync } from '../src/crm/bitrix24/sync.js';
import { createOutboxWriter } from '../src/crm/outbox/store.js';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { createIdentityPolicy } from '../src/identity/identity.js';
import { silentLogger } from '../src/observability/logger.js';
import { startBitrix24Fake } from '../test/support/bitrix24-fake.js';

export interface Bitrix24LoadResult {
  bench: 'bitrix24-load';
  database: 'postgres' | 'embedded';
  contacts: number;
  companies: number;
  /** The first pass: the full load of companies, contacts and (no) deals, users, hints, nothing else. */
  fullLoad: { ms: number; requests: number; limited: number; contactsPerSecond: number };
  /** The next pass: nothing changed (one page per entity). */
  nextPassMs: number;
}

/**
 * A full load from the loopback Bitrix24 fake at its real limits (2 requests/s, burst 10, real sleeps):
 * `contacts` contacts (a phone, an email, a Telegram id each; one in 20 with a company).
 */
export async function runBitrix24LoadBench(opts: {
  adminUrl?: string;
  contacts: number;
}): Promise<Bitrix24LoadResult> {
  const fake = await startBitrix24Fake({ clock: () => new Date() });
  const companies = Math.ceil(opts.contacts / 20);
  for (let i = 1; i <= companies; i++)
    fake.put('company', { TITLE: `ООО Компания ${i}`, DATE_MODIFY: '2026-11-19T10:00:00+03:00' }, String(i));
  for (let i = 0; i < opts.contacts; i++)
    fake.put(
      'contact',
      {
        NAME: `Клиент ${i}`,
        LAST_NAME: 'Тестов',
        COMPANY_ID: i % 20 === 0 ? String(1 + i / 20) : '',
        ASSIGNED_BY_ID: '6',
        DATE_MODIFY: '2026-11-19T10:04:11+03:00',
        PHONE: [{ VALUE: `+7916${String(1_000_000 + i)}`, VALUE_TYPE: 'MOBILE' }],
        EMAIL: [{ VALUE: `client${i}@example.ru`, VALUE_TYPE: 'WORK' }],
        IM: [{ VALUE: String(500_000_000 + i), VALUE_TYPE: 'TELEGRAM' }],
      },
      String(100_000 + i),
    );

  let dropScratch = async () => {};
  let url: string | undefined;
  if (opts.adminUrl) {
    const name = `sb_bench_b24_${randomBytes(4).toString('hex')}`;
    const admin = postgres(opts.adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const u = new URL(opts.adminUrl);
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
    const config = configSchema.parse({
      managers: [{ login: 'ivanov', name: 'Иван Иванов', email: 'ivan@company.ru' }],
      teams: [{ id: 'retail', name: 'Розница', supervisor: 'ivanov', members: ['ivanov'] }],
      routing: { fallbackTeam: 'retail' },
      crm: {
        bitrix24: {
          webhookUrl: fake.webhookUrl,
          applicationToken: 'bench-token-0000',
          users: { '6': 'ivanov' },
          imAccounts: { telegram: ['bot'] },
        },
      },
    });
    const b24 = config.crm.bitrix24!;
    const clock = () => new Date();
    const sync = createBitrix24Sync({
      sql: db.sql,
      config,
      b24,
      client: createBitrix24Client({
        webhookUrl: b24.webhookUrl,
        clock,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        requestsPerSecond: b24.requestsPerSecond,
        burst: b24.burst,
        timeoutMs: b24.timeoutMs,
      }),
      policy: createIdentityPolicy({}),
      clock,
      log: silentLogger,
      outbox: createOutboxWriter([]),
    });
    let t0 = performance.now();
    await sync.runOnce();
    const ms = performance.now() - t0;
    const requests = fake.state.requests;
    const [n] = await db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM contacts WHERE external_id LIKE 'bitrix24:%'`;
    const [ids] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM identities`;
    if (n!.n !== opts.contacts || ids!.n !== opts.contacts * 3)
      throw new Error(`loaded ${n!.n} contacts and ${ids!.n} identities, expected ${opts.contacts} and ×3`);
    t0 = performance.now();
    await sync.runOnce();
    return {
      bench: 'bitrix24-load',
      database: db.kind,
      contacts: opts.contacts,
      companies,
      fullLoad: {
        ms: Math.round(ms),
        requests,
        limited: fake.state.limited,
        contactsPerSecond: Math.round(opts.contacts / (ms / 1000)),
      },
      nextPassMs: Math.round(performance.now() - t0),
    };
  } finally {
    await db.close();
    await dropScratch();
    await fake.close();
  }
}

/** `npx tsx bench/bitrix24-load.ts [contacts]` or `npm run bench -- bitrix24 [contacts]`: PostgreSQL, then embedded. */
export async function main(args: string[]) {
  const contacts = Number(args[0] ?? 10_000);
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  for (const n of [120, contacts]) {
    console.log(JSON.stringify(await runBitrix24LoadBench({ adminUrl, contacts: n })));
    console.log(JSON.stringify(await runBitrix24LoadBench({ contacts: n })));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  await main(process.argv.slice(2));
