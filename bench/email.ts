import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { createSenderPolicy } from '../src/channels/email/classify.js';
import { createEmailSource } from '../src/channels/email/normalize.js';
import { configSchema } from '../src/config/schema.js';
import { startDaemon } from '../src/daemon.js';
import { silentLogger } from '../src/observability/logger.js';
import { startDovecot } from '../test/support/dovecot.js';
import { composeMail, emailTestConfig } from '../test/support/email.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/email/', import.meta.url));
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Options of the email benchmark; the defaults are what `npx tsx bench/email.ts` runs. */
export interface EmailBenchOptions {
  /** Passes over the fixture set for the normalize figure. */
  normalizeRounds?: number;
  /** Messages delivered to Dovecot and taken in by the daemon, per database. */
  messages?: number;
  databases?: ('embedded' | 'postgres')[];
}

export interface EmailBenchResult {
  bench: 'email';
  /** mailparser + classification + hints over the fixture .eml files, no I/O. */
  normalizePerSecond: number;
  /** One 20 MB attachment message through normalize (parse + sha256, no storage). */
  normalize20MbMs: number;
  /** IMAP fetch -> store raw + cursor -> decide, from daemon start with a backlog, messages per second. */
  ingest: { database: string; messages: number; seconds: number; perSecond: number }[];
}

export async function runEmailBench(options: EmailBenchOptions = {}): Promise<EmailBenchResult> {
  const source = createEmailSource({
    senders: createSenderPolicy({
      companyEmails: ['sales@mebel-fabrika.ru'],
      companyDomains: ['mebel-fabrika.ru'],
      email: { mailboxes: [], blocklist: { senders: [], domains: [] } },
    }),
  });
  const payload = {
    kind: 'received',
    mailbox: 'sales',
    folder: 'INBOX',
    uid: 1,
    uidValidity: '1',
    receivedAt: new Date().toISOString(),
  };
  const names = (await readdir(FIXTURES)).filter((n) => n.endsWith('.eml'));
  const raws = await Promise.all(names.map((n) => readFile(path.join(FIXTURES, n))));
  for (const raw of raws) await source.normalize(payload, raw); // warm-up
  const rounds = options.normalizeRounds ?? 200;
  let t0 = performance.now();
  for (let i = 0; i < rounds; i++) for (const raw of raws) await source.normalize(payload, raw);
  const normalizePerSecond = (rounds * raws.length) / ((performance.now() - t0) / 1000);

  const big = Buffer.from(
    [
      'From: <a@client.ru>',
      'Subject: big',
      'Message-ID: <big@client.ru>',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'see attachment',
      '--b',
      'Content-Type: application/zip; name="a.zip"',
      'Content-Transfer-Encoding: base64',
      '',
      randomBytes(20 * 1024 * 1024)
        .toString('base64')
        .replace(/.{76}/g, '$&\r\n'),
      '--b--',
      '',
    ].join('\r\n'),
  );
  t0 = performance.now();
  await source.normalize(payload, big);
  const normalize20MbMs = performance.now() - t0;

  const ingest: EmailBenchResult['ingest'] = [];
  for (const database of options.databases ?? ['embedded', 'postgres'])
    ingest.push(await measureIngest(database, options.messages ?? 500));

  return {
    bench: 'email',
    normalizePerSecond: Math.round(normalizePerSecond),
    normalize20MbMs: Math.round(normalize20MbMs),
    ingest,
  };
}

async function measureIngest(database: 'embedded' | 'postgres', messages: number) {
  const user = { user: 'bench', password: 'bench-secret' };
  const dovecot = await startDovecot([user]);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sb-bench-'));
  const dbName = `sb_bench_${randomBytes(4).toString('hex')}`;
  const admin = database === 'postgres' ? postgres(ADMIN_URL, { max: 1, onnotice: () => {} }) : undefined;
  try {
    let databaseUrl: string | undefined;
    if (admin) {
      await admin.unsafe(`CREATE DATABASE ${dbName}`);
      const u = new URL(ADMIN_URL);
      u.pathname = `/${dbName}`;
      databaseUrl = u.toString();
    }
    const senders = Array.from({ length: 100 }, (_, i) => `client${i}@bench-client.ru`);
    await dovecot.appendMany(
      user,
      'INBOX',
      Array.from(
        { length: messages },
        (_, i) =>
          composeMail({
            from: senders[i % senders.length]!,
            subject: `Заявка ${i}`,
            text: 'Нужен стол 120×60',
          }).raw,
      ),
    );
    const config = configSchema.parse(
      emailTestConfig({
        mailboxes: [
          {
            label: 'bench',
            address: 'bench@mebel-fabrika.ru',
            host: '127.0.0.1',
            port: dovecot.port,
            tls: 'none',
            user: user.user,
            password: user.password,
            backfill: true,
          },
        ],
      }),
    );
    const t0 = performance.now();
    const daemon = await startDaemon(
      { config, configPath: 'bench', port: 0, dataDir, ...(databaseUrl ? { databaseUrl } : {}) },
      silentLogger,
    );
    try {
      for (;;) {
        const [row] = await daemon.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM inbound_events WHERE status = 'processed'`;
        if (row!.n >= messages) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await daemon.stop();
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      database,
      messages,
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round(messages / seconds),
    };
  } finally {
    await dovecot.stop();
    await rm(dataDir, { recursive: true, force: true });
    if (admin) {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(JSON.stringify(await runEmailBench()));
}
