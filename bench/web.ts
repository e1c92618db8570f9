import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { configSchema } from '../src/config/schema.js';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { hashPassword } from '../src/web/password.js';
import { CHROMIUM, hasChromium, launchBrowser } from '../test/support/chromium.js';
import { serveBenchApp } from './web-app.js';

/** Options of the web app benchmark; the defaults are what `npm run bench` runs. */
export interface WebBenchOptions {
  /** Admin URL of a PostgreSQL server (a scratch database is created and dropped). */
  adminUrl: string;
  leads?: number;
  /** Requests per measured page kind (after warm-up). */
  requests?: number;
  /** Chromium to time the inbox in a real browser (skipped when absent). */
  chromium?: string;
}

export interface PageTiming {
  page: string;
  p50: number;
  p95: number;
  max: number;
}

export interface WebBenchResult {
  bench: 'web';
  leads: number;
  messages: number;
  loadAverage: string;
  /** Server time to the full HTML over a loopback socket (ms). */
  server: PageTiming[];
  /** Chromium: navigation start to DOMContentLoaded (HTML + the local script and styles), ms. */
  browser?: { inboxInteractive: PageTiming; leadInteractive: PageTiming };
  /** The live stream's per-tick query for the supervisor who sees all 10,000 leads (ms). */
  livePulse: PageTiming;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};
const timing = (page: string, xs: number[]): PageTiming => ({
  page,
  p50: pct(xs, 50),
  p95: pct(xs, 95),
  max: Math.round(Math.max(...xs) * 10) / 10,
});

/**
 * A typical HTML email a sales department gets (an Outlook-style table layout with inline styles, a signature
 * logo by cid:, two remote images, a quoted earlier message), about 60 KB of HTML, as raw RFC 822 bytes.
 */
export function benchHtmlEmail(): string {
  const rows = Array.from(
    { length: 240 },
    (_, i) =>
      `<tr><td style="padding:4px 8px;border-bottom:1px solid #ddd;font-family:Calibri,sans-serif">Позиция ${i + 1}: прилавок ${i % 7} м</td>` +
      `<td align="right" style="padding:4px 8px;color:#333">${(i * 1370) % 90000} ₽</td></tr>`,
  ).join('\n');
  const html =
    `<html><head><style>p.MsoNormal{margin:0}</style></head><body><p class="MsoNormal">Добрый день!</p>` +
    `<p>Просим прислать счёт по позициям ниже.</p><table cellpadding="0" cellspacing="0" width="600">${rows}</table>` +
    `<img src="https://track.example/open.gif" width="1" height="1"><img src="https://cdn.example/banner.jpg">` +
    `<p>С уважением,<br>Ирина<br><img src="cid:logo@client" alt="Логотип"></p>` +
    `<blockquote style="border-left:2px solid #ccc;padding-left:8px">${'<p>Ранее: цена на витрину 2 м?</p>'.repeat(20)}</blockquote></body></html>`;
  const b64 = (b: Buffer) => b.toString('base64').replace(/.{76}/g, '$&\r\n');
  const logo = randomBytes(20_000); // stands for a 20 KB PNG: only its size matters here
  return [
    'From: =?UTF-8?B?0JjRgNC40L3QsA==?= <irina@client.example>',
    'To: sales@bench.example',
    'Subject: =?UTF-8?B?0KHRh9GR0YI=?=',
    'Date: Mon, 30 Nov 2026 09:00:00 +0000',
    'Message-ID: <bench-html@client.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    b64(Buffer.from(html)),
    '--rel',
    'Content-Type: image/png',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <logo@client>',
    '',
    b64(logo),
    '--rel--',
    '',
  ].join('\r\n');
}

/**
 * Seeds `leads` leads (one contact with a phone and an email each, three messages per lead, a third of them
 * read) in two teams and measures the inbox and lead pages as a signed-in manager and supervisor see them.
 */
export async function runWebBench(o: WebBenchOptions): Promise<WebBenchResult> {
  const n = o.leads ?? 10_000;
  const requests = o.requests ?? 40;
  const name = `sb_bench_web_${randomBytes(4).toString('hex')}`;
  const admin = postgres(o.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const u = new URL(o.adminUrl);
  u.pathname = `/${name}`;
  const db = await openDatabase({ url: u.toString(), maxConnections: 8 });
  let served: Awaited<ReturnType<typeof serveBenchApp>> | undefined;
  try {
    await migrate(db.sql);
    const now = new Date('2026-11-30T12:00:00Z');
    await db.sql`
      WITH c AS (
        INSERT INTO contacts (name, created_at)
        SELECT 'Клиент ' || i, ${now}::timestamptz - i * interval '1 minute' FROM generate_series(1, ${n}) AS i
        RETURNING id, name)
      , ids AS (
        INSERT INTO identities (contact_id, kind, value, source)
        SELECT id, 'phone', '+7912' || lpad((row_number() OVER ())::text, 7, '0'), 'bench' FROM c
        RETURNING contact_id)
      INSERT INTO identities (contact_id, kind, value, source)
      SELECT id, 'email', 'client' || row_number() OVER () || '@example.ru', 'bench' FROM c`;
    await db.sql`
      INSERT INTO leads (contact_id, kind, status, channel, account, team, responsible, first_contact_at, created_at)
      SELECT id, 'new', CASE WHEN r % 5 = 0 THEN 'converted' WHEN r % 3 = 0 THEN 'in_progress' ELSE 'new' END,
             CASE WHEN r % 2 = 0 THEN 'email' ELSE 'webform' END, 'site',
             CASE WHEN r % 4 = 0 THEN 'partners' ELSE 'retail' END,
             CASE WHEN r % 4 = 0 THEN 'ivanov' WHEN r % 7 = 0 THEN NULL WHEN r % 2 = 0 THEN 'petrova' ELSE 'sidorov' END,
             created_at, created_at
      FROM (SELECT id, created_at, row_number() OVER (ORDER BY created_at) AS r FROM contacts) c`;
    await db.sql`
      WITH conv AS (
        INSERT INTO conversations (channel, account, thread_key, contact_id, lead_id, subject, last_message_at)
        SELECT l.channel, 'site', l.id::text, l.contact_id, l.id, 'Заявка', l.created_at + interval '2 hours'
        FROM leads l RETURNING id, contact_id, lead_id, channel, last_message_at)
      INSERT INTO messages (conversation_id, contact_id, lead_id, kind, direction, channel, account, external_id,
                            subject, body, occurred_at)
      SELECT conv.id, conv.contact_id, conv.lead_id, 'message', CASE WHEN k = 2 THEN 'out' ELSE 'in' END, conv.channel,
             'site', conv.id::text || '-' || k, 'Заявка',
             'Здравствуйте! Нужен прилавок 2 м и витрина, пришлите цену и сроки. Сообщение ' || k,
             conv.last_message_at - (3 - k) * interval '1 hour'
      FROM conv, generate_series(1, 3) AS k`;
    await db.sql`
      INSERT INTO web_lead_reads (login, lead_id, read_at)
      SELECT 'petrova', id, ${now} FROM leads WHERE responsible = 'petrova' AND random() < 0.33`;
    await db.sql`ANALYZE`;
    const [counts] = await db.sql<{ m: number }[]>`SELECT count(*)::int AS m FROM messages`;

    const password = await hashPassword('bench');
    const config = configSchema.parse({
      managers: [
        { login: 'ivanov', name: 'Иван Иванов', password },
        { login: 'petrova', name: 'Мария Петрова', password },
        { login: 'sidorov', name: 'Олег Сидоров', password },
        { login: 'head', name: 'Анна Руководитель', password, role: 'admin' },
      ],
      teams: [
        { id: 'partners', name: 'Партнёры', supervisor: 'head', members: ['ivanov'] },
        { id: 'retail', name: 'Розница', supervisor: 'head', members: ['petrova', 'sidorov'] },
      ],
      routing: { fallbackTeam: 'retail' },
    });
    served = await serveBenchApp({ sql: db.sql, config, now });
    const { base } = served;
    const cookieFor = (login: string) => served!.cookieFor(login, 'bench');
    const cookies = { petrova: await cookieFor('petrova'), head: await cookieFor('head') };
    const leadIds = (
      await db.sql<{ id: string }[]>`SELECT id FROM leads ORDER BY random() LIMIT ${requests}`
    ).map((r) => r.id);

    const time = async (path: string, cookie: string) => {
      const t0 = performance.now();
      const res = await fetch(base + path, { headers: { cookie, accept: 'text/html' } });
      await res.text();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return performance.now() - t0;
    };
    const measure = async (page: string, paths: () => string, cookie: string) => {
      for (let i = 0; i < 5; i++) await time(paths(), cookie);
      const xs: number[] = [];
      for (let i = 0; i < requests; i++) xs.push(await time(paths(), cookie));
      return timing(page, xs);
    };
    // One HTML email on a lead: its frame re-reads the raw message, parses it and sanitizes it per request.
    const raw = Buffer.from(benchHtmlEmail());
    const [ev] = await db.sql<{ id: string }[]>`
      INSERT INTO inbound_events (source, account, external_id, content_type, payload, raw, status)
      VALUES ('email', 'sales', '<bench-html@client.example>', 'message/rfc822',
              ${db.sql.json({ kind: 'received', mailbox: 'sales', folder: 'INBOX', uid: 1, uidValidity: '1', receivedAt: now.toISOString() })},
              ${raw}, 'processed')
      RETURNING id`;
    const [htmlMsg] = await db.sql<{ id: string; leadId: string }[]>`
      INSERT INTO messages (conversation_id, contact_id, lead_id, inbound_event_id, kind, direction, channel, account,
                            external_id, subject, body, meta, occurred_at)
      SELECT c.id, c.contact_id, c.lead_id, ${ev!.id}, 'message', 'in', 'email', 'sales', 'bench-html', 'Счёт',
             'Добрый день!', ${db.sql.json({ email: { html: true } })}, ${now}
      FROM conversations c WHERE c.lead_id = ${leadIds[0]!} LIMIT 1
      RETURNING id, lead_id`;
    let k = 0;
    const serverTimings = [
      await measure('inbox: manager, my leads and queue', () => '/', cookies.petrova),
      await measure(
        'inbox: admin, all 10,000 leads, all statuses',
        () => '/?scope=team&status=all',
        cookies.head,
      ),
      await measure(
        'inbox: search by phone in another format',
        () => '/?q=8%20912%20000-00-42&status=all',
        cookies.head,
      ),
      await measure(
        'inbox: search by name',
        () => '/?q=%D0%9A%D0%BB%D0%B8%D0%B5%D0%BD%D1%82%2042&status=all',
        cookies.head,
      ),
      await measure('lead page', () => `/leads/${leadIds[k++ % leadIds.length]}`, cookies.head),
      await measure(
        `email body frame: ${Math.round(raw.length / 1024)} KB HTML email parsed and sanitized`,
        () => `/leads/${htmlMsg!.leadId}/messages/${htmlMsg!.id}/body`,
        cookies.head,
      ),
    ];

    const { inboxPulse } = await import('../src/web/services/inbox.js');
    const { webUser } = await import('../src/web/services/users.js');
    const head = webUser(config, 'head')!;
    const pulses: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await inboxPulse(db.sql, head);
      pulses.push(performance.now() - t0);
    }

    let browser: WebBenchResult['browser'];
    if (o.chromium) {
      const b = await launchBrowser(o.chromium);
      try {
        const ctx = await b.newContext();
        await ctx.addCookies([{ name: 'sb_session', value: cookies.head.split('=')[1]!, url: base }]);
        const page = await ctx.newPage();
        const nav = async (p: string) => {
          await page.goto(base + p, { waitUntil: 'domcontentloaded' });
          return page.evaluate(() => {
            const t = performance.getEntriesByType('navigation' as never)[0] as unknown as {
              domContentLoadedEventEnd: number;
              startTime: number;
            };
            return t.domContentLoadedEventEnd - t.startTime;
          });
        };
        const inbox: number[] = [];
        const lead: number[] = [];
        for (let i = 0; i < 3; i++) await nav('/?scope=team&status=all');
        for (let i = 0; i < 15; i++) inbox.push(await nav('/?scope=team&status=all'));
        for (let i = 0; i < 15; i++) lead.push(await nav(`/leads/${leadIds[i % leadIds.length]}`));
        browser = {
          inboxInteractive: timing('inbox (admin, 10,000 leads) in Chromium', inbox),
          leadInteractive: timing('lead page in Chromium', lead),
        };
      } finally {
        await b.close();
      }
    }
    return {
      bench: 'web',
      leads: n,
      messages: counts!.m,
      loadAverage: os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
      server: serverTimings,
      ...(browser ? { browser } : {}),
      livePulse: timing('live stream tick (admin, all leads)', pulses),
    };
  } finally {
    await served?.close();
    await db.close();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

export function webMarkdown(r: WebBenchResult): string {
  const rows = [
    ...r.server,
    ...(r.browser ? [r.browser.inboxInteractive, r.browser.leadInteractive] : []),
    r.livePulse,
  ];
  return [
    'Command: `npm run bench` (or `npx tsx bench/web.ts` alone). Targets: inbox interactive < 1 s, lead page < 500 ms.',
    '',
    `${r.leads.toLocaleString('en')} leads, ${r.messages.toLocaleString('en')} messages; load average ${r.loadAverage}.`,
    '',
    '| page | p50 ms | p95 ms | max ms |',
    '|---|---|---|---|',
    ...rows.map((t) => `| ${t.page} | ${t.p50} | ${t.p95} | ${t.max} |`),
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const adminUrl = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const result = await runWebBench({
    adminUrl,
    ...(hasChromium() ? { chromium: CHROMIUM } : {}),
  });
  console.log(webMarkdown(result));
  console.log(JSON.stringify(result));
}
