import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { breakdown, daily, heatmap, leadSummary, nowFigures, slaFigures } from '../src/analytics/queries.js';
import { configSchema } from '../src/config/schema.js';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { hashPassword } from '../src/web/password.js';
import { serveBenchApp } from './web-app.js';

/** Options of the analytics benchmark; the defaults are what `npm run bench` runs. */
export interface AnalyticsBenchOptions {
  /** Admin URL of a PostgreSQL server (a scratch database is created and dropped). */
  adminUrl: string;
  leads?: number;
  /** Requests per endpoint after warm-up. */
  requests?: number;
  /** Days the leads are spread over, ending now. */
  days?: number;
  /** Keep the scratch database (its URL is logged); pass it back as `reuseUrl` to skip seeding next time. */
  keep?: boolean;
  reuseUrl?: string;
  log?: (line: string) => void;
}

export interface EndpointTiming {
  endpoint: string;
  p50: number;
  p95: number;
  max: number;
}

export interface PlanCheck {
  query: string;
  /** Scans of the big tables: `Index Scan using leads_first_contact_idx on leads`, … */
  scans: string[];
  seqScans: string[];
}

export interface AnalyticsBenchResult {
  bench: 'analytics';
  leads: number;
  messages: number;
  slaSteps: number;
  days: number;
  periodDays: number;
  seedSeconds: number;
  loadAverage: string;
  endpoints: EndpointTiming[];
  plans: PlanCheck[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

const TEAMS = ['partners', 'retail', 'wholesale', 'corporate'];
const REGIONS = [
  'RU-MOW',
  'RU-SPE',
  'RU-SVE',
  'RU-NVS',
  'RU-TA',
  'RU-KDA',
  'RU-NIZ',
  'RU-SAM',
  'RU-ROS',
  'RU-BA',
  'RU-CHE',
  'RU-PER',
  'RU-VOR',
  'RU-VGG',
  'RU-KYA',
  'RU-OMS',
  'RU-IRK',
  'RU-TYU',
  'RU-KGD',
  'RU-PRI',
];

/**
 * Seeds `n` leads spread over `days` days (one contact, one conversation, an inbound first message, a reply on
 * most, a second inbound message on half; an SLA step on a tenth, two alert deliveries each) by INSERT … SELECT.
 */
async function seed(sql: postgres.Sql, n: number, days: number, now: Date, log: (l: string) => void) {
  const span = days * 86_400;
  log(`seeding ${n.toLocaleString('en')} contacts and leads`);
  await sql`
    INSERT INTO contacts (id, name, created_at)
    SELECT md5('c' || i)::uuid, 'Клиент ' || i, ${now}::timestamptz - (i::float8 * ${span} / ${n}) * interval '1 second'
    FROM generate_series(1, ${n}) AS i`;
  await sql`
    INSERT INTO leads (id, contact_id, kind, status, channel, account, team, responsible, routing, first_contact_at,
                       taken_at, closed_at, queued_at, created_at, updated_at)
    SELECT md5('l' || i)::uuid, md5('c' || i)::uuid, kind, status, channel, 'main', team, responsible,
           jsonb_build_object(
             'router', 'rules', 'rule', team, 'team', team, 'strategy', 'round_robin', 'chosen', responsible,
             'facts', jsonb_build_object(
               'leadKind', kind, 'channel', channel, 'account', 'main', 'ruleWhy', 'client type ' || ctype,
               'clientType', jsonb_build_object('type', ctype, 'source', 'default', 'why', 'no rule matched'),
               'region', jsonb_build_object('region', region, 'name', NULL, 'federalDistrict', NULL,
                                            'source', 'phone', 'why', 'numbering plan range', 'notes', '[]'::jsonb)),
             'candidates', jsonb_build_array(
               jsonb_build_object('manager', responsible, 'outcome', 'chosen', 'why', 'on shift, 3 open leads'),
               jsonb_build_object('manager', 'm_other', 'outcome', 'skipped', 'why', 'off shift until 09:00'))),
           first, CASE WHEN status <> 'new' THEN first + (1 + (i::bigint * 7919) % 600) * interval '1 minute' END,
           CASE WHEN status IN ('converted', 'junk') THEN first + interval '1 day' END,
           CASE WHEN status = 'new' AND responsible IS NULL THEN first END, first, first
    FROM (
      SELECT i,
             CASE WHEN i % 5 = 0 THEN 'repeat' ELSE 'new' END AS kind,
             CASE WHEN i % 20 = 0 THEN 'new' WHEN i % 20 < 7 THEN 'in_progress'
                  WHEN i % 20 < 12 THEN 'converted' ELSE 'junk' END AS status,
             (ARRAY['email', 'webform', 'megafon', 'whatsapp', 'telegram', 'avito'])[1 + i % 6] AS channel,
             (${TEAMS}::text[])[1 + (i / 7) % 4] AS team,
             CASE WHEN i % 23 = 0 THEN NULL ELSE 'm' || ((i / 7) % 4) || '_' || (i % 10) END AS responsible,
             (ARRAY['retail', 'partner', 'wholesale'])[1 + (i / 3) % 3] AS ctype,
             (${REGIONS}::text[])[1 + (i / 11) % 20] AS region,
             ${now}::timestamptz - (i::float8 * ${span} / ${n}) * interval '1 second' AS first
      FROM generate_series(1, ${n}) AS i) g`;
  log('seeding conversations and messages');
  await sql`
    INSERT INTO conversations (channel, account, thread_key, contact_id, lead_id, last_message_at)
    SELECT channel, 'main', id::text, contact_id, id, first_contact_at FROM leads`;
  await sql`
    INSERT INTO messages (conversation_id, contact_id, lead_id, kind, direction, channel, account, external_id, body,
                          occurred_at)
    SELECT v.id, v.contact_id, v.lead_id, 'message', d.direction, v.channel, 'main', v.thread_key || '-' || d.k,
           'Здравствуйте! Нужен прилавок 2 м и витрина, пришлите цену и сроки.',
           l.first_contact_at + d.minutes * interval '1 minute'
    FROM conversations v JOIN leads l ON l.id = v.lead_id,
         LATERAL (VALUES (0, 'in', 0), (1, 'out', 2 + abs(hashtext(l.id::text)) % 240),
                         (2, 'in', 300 + abs(hashtext(l.id::text)) % 600)) AS d(k, direction, minutes)
    WHERE d.k = 0 OR (d.k = 1 AND l.status <> 'new') OR (d.k = 2 AND abs(hashtext(l.id::text)) % 2 = 0)`;
  // The lead rules keep each lead's first response as they record outbound messages; here as migration 013 does.
  await sql`
    UPDATE leads l SET first_response_at = r.at
    FROM (SELECT m.lead_id, min(m.occurred_at) AS at FROM messages m JOIN leads x ON x.id = m.lead_id
          WHERE m.direction = 'out' AND m.occurred_at >= x.first_contact_at GROUP BY m.lead_id) r
    WHERE r.lead_id = l.id`;
  log('seeding SLA steps and alerts');
  await sql`
    INSERT INTO sla_steps (lead_id, step_id, team, due_at, fired_at)
    SELECT id, s.step, team, first_contact_at + s.after, first_contact_at + s.after FROM leads,
           LATERAL (VALUES ('first', interval '30 minutes'), ('second', interval '2 hours')) AS s(step, after)
    WHERE abs(hashtext(id::text)) % 10 = 0 AND (s.step = 'first' OR abs(hashtext(id::text)) % 30 = 0)`;
  await sql`
    INSERT INTO sla_notifications (lead_id, step_id, team, recipient, channel, status, due_at, next_attempt_at,
                                   created_at, updated_at)
    SELECT s.lead_id, s.step_id, s.team, c.recipient, c.channel,
           (ARRAY['sent', 'sent', 'sent', 'failed', 'cancelled'])[1 + abs(hashtext(s.lead_id::text || c.channel)) % 5],
           s.fired_at, s.fired_at, s.fired_at, s.fired_at
    FROM sla_steps s, (VALUES ('head', 'telegram'), ('m_any', 'inapp')) AS c(recipient, channel)`;
  log('VACUUM ANALYZE');
  await sql`VACUUM ANALYZE`;
}

/** Captures the statements the analytics functions send, then EXPLAINs each with its parameters. */
async function explainAll(url: string, now: Date, periodDays: number): Promise<PlanCheck[]> {
  const captured: { query: string; params: unknown[] }[] = [];
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    transform: postgres.camel,
    debug: (_c, query, params) => captured.push({ query, params: params as unknown[] }),
  });
  try {
    const q = {
      period: { from: new Date(now.getTime() - periodDays * 86_400_000), to: now },
      scope: { teams: null },
    };
    const zones = { teams: TEAMS, zones: TEAMS.map(() => 'Europe/Moscow'), fallback: 'Europe/Moscow' };
    const steps: [string, () => Promise<unknown>][] = [
      ['summary', () => leadSummary(sql, q)],
      ['sla', () => slaFigures(sql, q)],
      ['breakdown by manager', () => breakdown(sql, { ...q, by: 'manager' })],
      ['heatmap', () => heatmap(sql, { ...q, zones })],
      ['daily', () => daily(sql, { ...q, zones })],
      ['now', () => nowFigures(sql, q)],
    ];
    const out: PlanCheck[] = [];
    for (const [name, run] of steps) {
      captured.length = 0;
      await run();
      const statements = [...captured];
      for (const [i, s] of statements.entries()) {
        const [row] = await sql.unsafe(`EXPLAIN (FORMAT JSON) ${s.query}`, s.params as never[]);
        const plan = (Object.values(row as object)[0] as unknown[])[0];
        const scans: string[] = [];
        const seqScans: string[] = [];
        const walk = (node: Record<string, unknown>) => {
          const type = node['Node Type'] as string;
          const rel = node['Relation Name'] as string | undefined;
          if (rel && /Scan/.test(type) && !rel.startsWith('pg_')) {
            const label = `${type}${node['Index Name'] ? ` using ${node['Index Name']}` : ''} on ${rel}`;
            if (!scans.includes(label)) scans.push(label);
            if (type === 'Seq Scan' && !seqScans.includes(rel)) seqScans.push(rel);
          }
          for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk((plan as { Plan: Record<string, unknown> }).Plan);
        out.push({
          query: statements.length > 1 ? `${name} (${i + 1}/${statements.length})` : name,
          scans,
          seqScans,
        });
      }
    }
    return out;
  } finally {
    await sql.end();
  }
}

/**
 * Seeds a million leads into a scratch database and times each GET /api/v1/analytics endpoint over HTTP for a
 * 30-day period (all teams by token, one team by a supervisor's session) and the whole /dashboard page.
 */
export async function runAnalyticsBench(o: AnalyticsBenchOptions): Promise<AnalyticsBenchResult> {
  const n = o.leads ?? 1_000_000;
  const requests = o.requests ?? 20;
  const days = o.days ?? 365;
  const periodDays = 30;
  const log = o.log ?? ((l: string) => console.error(`[bench:analytics] ${l}`));
  const name = o.reuseUrl
    ? new URL(o.reuseUrl).pathname.slice(1)
    : `sb_bench_analytics_${randomBytes(4).toString('hex')}`;
  const admin = postgres(o.adminUrl, { max: 1, onnotice: () => {} });
  if (!o.reuseUrl) await admin.unsafe(`CREATE DATABASE ${name}`);
  const u = new URL(o.adminUrl);
  u.pathname = `/${name}`;
  const db = await openDatabase({ url: u.toString(), maxConnections: 8 });
  let served: Awaited<ReturnType<typeof serveBenchApp>> | undefined;
  try {
    await migrate(db.sql);
    const now = new Date('2026-11-30T12:00:00Z');
    const t0 = performance.now();
    const [have] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM leads`;
    if (have!.n === n) log(`reusing the ${n.toLocaleString('en')} leads of ${name}`);
    else await seed(db.sql, n, days, now, log);
    const seedSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const [counts] = await db.sql<{ m: number; s: number }[]>`
      SELECT (SELECT count(*)::int FROM messages) AS m, (SELECT count(*)::int FROM sla_steps) AS s`;
    log(`seeded in ${seedSeconds} s: ${counts!.m.toLocaleString('en')} messages, ${counts!.s} SLA steps`);

    const password = await hashPassword('bench');
    const managers = TEAMS.flatMap((_, t) =>
      Array.from({ length: 10 }, (_, k) => ({ login: `m${t}_${k}`, name: `Менеджер ${t}-${k}` })),
    );
    const config = configSchema.parse({
      api: { tokens: [{ name: 'bench', token: 'bench-analytics-token-0123' }] },
      managers: [
        ...managers,
        { login: 'head', name: 'Анна Руководитель', password },
        { login: 'boss', name: 'Директор', password, role: 'admin' },
      ],
      teams: TEAMS.map((id, t) => ({
        id,
        name: id,
        ...(t === 1 ? { supervisor: 'head' } : {}),
        members: managers.filter((m) => m.login.startsWith(`m${t}_`)).map((m) => m.login),
      })),
      routing: { fallbackTeam: 'retail' },
    });
    served = await serveBenchApp({ sql: db.sql, config, now });
    const { base } = served;
    const cookieFor = (login: string) => served!.cookieFor(login, 'bench');
    const token = { authorization: 'Bearer bench-analytics-token-0123' };
    const head = { cookie: await cookieFor('head') };
    const boss = { cookie: await cookieFor('boss'), accept: 'text/html' };
    const from = new Date(now.getTime() - periodDays * 86_400_000).toISOString();
    const period = `from=${from}&to=${now.toISOString()}`;

    const time = async (p: string, headers: Record<string, string>) => {
      const t = performance.now();
      const res = await fetch(base + p, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
      return performance.now() - t;
    };
    const endpoints: EndpointTiming[] = [];
    const measure = async (label: string, p: string, headers: Record<string, string>) => {
      for (let i = 0; i < 3; i++) await time(p, headers);
      const xs: number[] = [];
      for (let i = 0; i < requests; i++) xs.push(await time(p, headers));
      const r = {
        endpoint: label,
        p50: pct(xs, 50),
        p95: pct(xs, 95),
        max: Math.round(Math.max(...xs) * 10) / 10,
      };
      log(`${label}: p50 ${r.p50} ms, p95 ${r.p95} ms`);
      endpoints.push(r);
    };
    for (const e of ['summary', 'sla', 'heatmap', 'daily'])
      await measure(`${e}, all teams (token)`, `/api/v1/analytics/${e}?${period}`, token);
    for (const by of ['channel', 'region', 'clientType', 'team', 'manager'])
      await measure(`breakdown by ${by}, all teams`, `/api/v1/analytics/breakdown?by=${by}&${period}`, token);
    await measure('now, all teams', '/api/v1/analytics/now', token);
    await measure('summary, one team (supervisor session)', `/api/v1/analytics/summary?${period}`, head);
    await measure('summary as CSV, all teams', `/api/v1/analytics/summary?${period}&format=csv`, token);
    await measure('/dashboard page, 30 days, all teams (10 queries)', '/dashboard?period=30d', boss);

    const plans = await explainAll(u.toString(), now, periodDays);
    for (const p of plans)
      log(`plan ${p.query}: ${p.scans.join('; ')}${p.seqScans.length ? ' — SEQ SCAN' : ''}`);
    return {
      bench: 'analytics',
      leads: n,
      messages: counts!.m,
      slaSteps: counts!.s,
      days,
      periodDays,
      seedSeconds,
      loadAverage: os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
      endpoints,
      plans,
    };
  } finally {
    await served?.close();
    await db.close();
    if (o.keep || o.reuseUrl) log(`kept: BENCH_ANALYTICS_URL=${u.toString()}`);
    else await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

export function analyticsMarkdown(r: AnalyticsBenchResult): string {
  return [
    'Command: `npm run bench` (or `npx tsx bench/analytics.ts` alone; `--analytics=false` skips it). Target: every endpoint < 500 ms for a 30-day period at 1,000,000 leads.',
    '',
    `${r.leads.toLocaleString('en')} leads over ${r.days} days (${Math.round(r.leads / r.days).toLocaleString('en')} a day, so ~${Math.round((r.leads / r.days) * r.periodDays).toLocaleString('en')} in the period and as many in the previous one), ${r.messages.toLocaleString('en')} messages, ${r.slaSteps.toLocaleString('en')} SLA steps; ${r.seedSeconds < 5 ? 'a database seeded by an earlier kept run (INSERT … SELECT, ~16 min), reused' : `seeded by INSERT … SELECT in ${r.seedSeconds} s`}. Served over loopback HTTP by the app in the bench process; load average ${r.loadAverage}.`,
    '',
    '| endpoint (30 days) | p50 ms | p95 ms | max ms |',
    '|---|---|---|---|',
    ...r.endpoints.map((t) => `| ${t.endpoint} | ${t.p50} | ${t.p95} | ${t.max} |`),
    '',
    'EXPLAIN of each statement (scans of tables; a sequential scan of a big table would be flagged):',
    '',
    '| statement | scans | seq scan |',
    '|---|---|---|',
    ...r.plans
      .filter((p) => p.scans.length > 0)
      .map((p) => `| ${p.query} | ${p.scans.join('; ')} | ${p.seqScans.join(', ') || 'none'} |`),
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const leads = process.env.BENCH_ANALYTICS_LEADS ? Number(process.env.BENCH_ANALYTICS_LEADS) : undefined;
  const reuseUrl = process.env.BENCH_ANALYTICS_URL;
  const result = await runAnalyticsBench({
    adminUrl,
    ...(leads ? { leads } : {}),
    ...(reuseUrl ? { reuseUrl } : {}),
    keep: process.env.BENCH_KEEP === '1',
  });
  console.log(analyticsMarkdown(result));
  console.log(JSON.stringify(result));
}
