import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { configSchema } from '../src/config/schema.js';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { createApp } from '../src/http/app.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';
import { type LatencySummary, Samples } from './stats.js';

/**
 * Issue 16's scenario on the embedded database: `calls` MegaFon history records sent by `senders` senders at
 * once while the PBX asks "who is calling" for `lookups` known clients (one every `lookupEveryMs`). Counts the
 * lookups that ran out of their budget (answered `{}`, so the call was not routed to its manager) and their
 * latency, with the lookup on its own connection (`own`) and on the shared one as before (`shared`).
 * Run: `npx tsx bench/embedded-lookup.ts` (in-memory database, nothing else needed).
 */
export interface EmbeddedLookupResult {
  path: 'own' | 'shared';
  calls: number;
  senders: number;
  lookups: number;
  overBudget: number;
  latencyMs: LatencySummary;
}

const TOKEN = 'bench-crm-token-1';
const URL_MAIN = '/webhooks/megafon/main';

export async function runEmbeddedLookupBench(
  o: {
    path: 'own' | 'shared';
    calls?: number;
    senders?: number;
    lookups?: number;
    lookupEveryMs?: number;
  } = {
    path: 'own',
  },
): Promise<EmbeddedLookupResult> {
  const calls = o.calls ?? 200;
  const senders = o.senders ?? 10;
  const lookups = o.lookups ?? 74;
  const db = await openDatabase({});
  try {
    await migrate(db.sql);
    const config = configSchema.parse({
      api: { tokens: [{ name: 'bench', token: 'bench-token-0123456789' }] },
      managers: [{ login: 'ivanov', name: 'Иван Иванов', pbxLogin: 'ivanov' }],
      teams: [{ id: 'retail', name: 'Розница', members: ['ivanov'] }],
      routing: { fallbackTeam: 'retail' },
      telephony: {
        megafon: [{ account: 'main', crmToken: TOKEN, baseUrl: 'http://127.0.0.1:9', apiKey: 'k' }],
      },
    });
    const metrics = createMetrics();
    const clock = () => new Date();
    const pipeline = createPipeline({
      sql: db.sql,
      config,
      clock,
      log: silentLogger,
      metrics,
      ...(o.path === 'own' && db.lookupSql ? { lookupSql: db.lookupSql } : {}),
    });
    const app = createApp({
      ...pipeline,
      sql: db.sql,
      config,
      metrics,
      log: silentLogger,
      clock,
      tokens: config.api.tokens,
      isAccepting: () => true,
    });
    const post = async (body: string) => {
      const res = await app.request(URL_MAIN, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `${body}&crm_token=${TOKEN}`,
      });
      return (await res.json()) as Record<string, unknown>;
    };
    // Known clients: each called once before, with ivanov responsible.
    const known = Array.from({ length: lookups }, (_, i) => `7985${String(1_000_000 + i).slice(1)}0`);
    await db.sql`
      INSERT INTO contacts (id, name, responsible)
      SELECT gen_random_uuid(), 'Клиент ' || n, 'ivanov' FROM unnest(${known}::text[]) AS n`;
    await db.sql`
      INSERT INTO identities (contact_id, kind, value, verified, source)
      SELECT c.id, 'phone', '+' || substr(c.name, 8), true, 'bench' FROM contacts c WHERE c.name LIKE 'Клиент %'`;

    let sent = 0;
    const sender = async (s: number) => {
      for (let i = s; i < calls; i += senders) {
        await post(
          `cmd=history&type=in&status=Success&phone=7916${String(1_000_000 + i).slice(1)}0&user=ivanov&start=20261130T100000Z&duration=60&link=&callid=bench-${s}-${i}`,
        );
        sent++;
      }
    };
    const latencies = new Samples();
    let overBudget = 0;
    const asker = async () => {
      for (const phone of known) {
        if (sent >= calls) break;
        const started = performance.now();
        const answer = await post(`cmd=contact&phone=${phone}&callid=lookup-${phone}`);
        latencies.add(performance.now() - started);
        if (answer.responsible !== 'ivanov') overBudget++;
        await new Promise((r) => setTimeout(r, o.lookupEveryMs ?? 20));
      }
    };
    await Promise.all([...Array.from({ length: senders }, (_, s) => sender(s)), asker()]);
    return {
      path: o.path,
      calls,
      senders,
      lookups: latencies.count,
      overBudget,
      latencyMs: latencies.summary(),
    };
  } finally {
    await db.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  (async () => {
    for (const p of ['shared', 'own'] as const)
      process.stdout.write(`${JSON.stringify(await runEmbeddedLookupBench({ path: p }))}\n`);
  })().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
