import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AttachmentMeta } from '../../src/channels/email/attachments.js';
import type { FolderStatus } from '../../src/channels/email/folder-watcher.js';
import type { RawFileRef } from '../../src/channels/email/raw-files.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { configSchema } from '../../src/config/schema.js';
import { type Daemon, startDaemon } from '../../src/daemon.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { baseConfig, readBody, TEST_TOKEN } from './context.js';
import { openTestDatabase, type TestDatabase } from './db.js';
import type { Backend } from './pg.js';

/** Polls `check` until it returns a truthy value (network waits only: nothing here stands in for a clock). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A plain RFC 5322 message as a mail client would write it (UTF-8, base64 body). */
export function composeMail(m: {
  from: string;
  fromName?: string;
  to?: string;
  subject: string;
  text: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  date?: Date;
}): { raw: string; messageId: string } {
  const messageId = m.messageId ?? `<${randomUUID()}@client-mail.ru>`;
  const word = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
  const lines = [
    `From: ${m.fromName ? `${word(m.fromName)} ` : ''}<${m.from}>`,
    `To: ${m.to ?? 'sales@mebel-fabrika.ru'}`,
    `Subject: ${word(m.subject)}`,
    `Date: ${(m.date ?? new Date('2026-11-20T09:00:00Z')).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references?.length ? [`References: ${m.references.join(' ')}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ];
  const body = Buffer.from(m.text).toString('base64').replace(/.{76}/g, '$&\r\n');
  return { raw: `${lines.join('\r\n')}\r\n\r\n${body}\r\n`, messageId };
}

/**
 * A TCP proxy between imapflow and Dovecot that can cut a connection once a number of bytes went from the
 * server to the client (the server "drops the connection mid-fetch").
 */
export async function startCuttingProxy(targetPort: number) {
  let cutAfter: number | undefined;
  let cuts = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let down = 0;
    const budget = cutAfter;
    cutAfter = undefined;
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('data', (chunk: Buffer) => {
      down += chunk.length;
      if (budget !== undefined && down > budget) {
        cuts++;
        client.write(chunk.subarray(0, chunk.length - (down - budget)));
        kill();
        return;
      }
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    client.on('error', kill).on('close', kill);
    upstream.on('error', kill).on('close', kill);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    /** The next connection is cut after `bytes` bytes from the server. */
    cutNextAfter: (bytes: number) => {
      cutAfter = bytes;
    },
    stats: () => ({ cuts, connections }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A daemon over one test database that can be stopped and started again on the same data (a restart). */
export interface DaemonHarness {
  daemon: Daemon;
  dataDir: string;
  start(config: ConfigInput): Promise<Daemon>;
  stop(): Promise<void>;
  request(
    method: string,
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON the tests assert on field by field
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function createDaemonHarness(backend: Backend): Promise<DaemonHarness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sb-daemon-'));
  // PostgreSQL: a database of the test server; embedded: PGlite files in dataDir, kept across restarts.
  const db: TestDatabase | undefined =
    backend === 'postgres' ? await openTestDatabase('postgres') : undefined;
  let daemon: Daemon | undefined;
  let closing: Promise<void> | undefined;
  const harness: DaemonHarness = {
    get daemon() {
      if (!daemon) throw new Error('the daemon is not running');
      return daemon;
    },
    dataDir,
    async start(input) {
      const config = configSchema.parse(input);
      daemon = await startDaemon(
        {
          config,
          configPath: 'test',
          port: 0,
          dataDir,
          ...(db?.url ? { databaseUrl: db.url } : {}),
        },
        // SB_TEST_LOG=debug shows the daemon's logs while debugging a test.
        process.env.SB_TEST_LOG ? createLogger(process.env.SB_TEST_LOG) : silentLogger,
      );
      return daemon;
    },
    async stop() {
      await daemon?.stop();
      daemon = undefined;
    },
    async request(method, p, body) {
      const res = await fetch(`http://127.0.0.1:${harness.daemon.port}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await readBody(res) };
    },
    close() {
      closing ??= (async () => {
        await harness.stop();
        await db?.close();
        await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
  return harness;
}

/** The test company's config with mailboxes on the private Dovecot; fast reconnects and safety syncs. */
export function emailTestConfig(email: NonNullable<ConfigInput['email']>): ConfigInput {
  return {
    ...baseConfig,
    ingest: { maxAttempts: 3, retryBaseDelayMs: 200, replayIntervalMs: 500, replayGraceMs: 2_000 },
    email: {
      syncIntervalMs: 2_000,
      reconnect: { minDelayMs: 50, maxDelayMs: 400 },
      ...email,
    },
  };
}

/** The parts of a stored email message's meta the tests look at. */
export interface EmailMeta {
  attachments: (AttachmentMeta & { path: string })[];
  malformed?: string[];
}

/** The parts of a stored email event's payload the tests look at. */
export interface EmailPayload {
  rawFile: RawFileRef;
}

export interface Readiness {
  status: string;
  email: Record<string, Record<string, FolderStatus>>;
}

export async function readiness(port: number): Promise<Readiness> {
  // Mailbox details are for authenticated callers.
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
  return (await res.json()) as Readiness;
}
