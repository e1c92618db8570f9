import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH } from '../src/config/load.js';
import { inboundBody } from './support/context.js';
import { type DaemonProcess, startDaemonProcess } from './support/daemon-process.js';
import { freshPhone } from './support/ids.js';
import { type PrivateCluster, startPrivateCluster } from './support/private-pg.js';

const TOKEN = 'sample-token-change-me';
const RESTARTS = 20;
const SENDERS = 6;

/** Resolves when `check` is true, polling; fails after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Issue 16 item 1: postgres.js 3.4.9 could write to a socket closed() had dropped and kill the process.
describe('a PostgreSQL restart under load', () => {
  let cluster: PrivateCluster;
  let daemon: DaemonProcess;
  let dir: string;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    dir = await mkdtemp(path.join(tmpdir(), 'sb-restart-'));
    const config = parse(await readFile(EXAMPLE_CONFIG_PATH, 'utf8'));
    // The replay worker picks up what an outage left pending within a second.
    config.ingest = { ...config.ingest, replayIntervalMs: 300, replayGraceMs: 1000 };
    config.sla = { ...config.sla, enabled: false };
    await writeFile(path.join(dir, 'config.yaml'), stringify(config));
    daemon = await startDaemonProcess({
      DATABASE_URL: cluster.url,
      SWITCHBOARD_DATA_DIR: dir,
      SWITCHBOARD_CONFIG: path.join(dir, 'config.yaml'),
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    await cluster?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the daemon stays up, answers 503 + Retry-After while the database is away, and loses or doubles nothing', async () => {
    const acknowledged = new Map<string, string>(); // externalId -> phone
    const statuses = new Map<number, number>();
    let retryAfterSeen = false;
    let done = false;

    const sender = async () => {
      while (!done) {
        const phone = freshPhone();
        const body = inboundBody({ from: { name: 'Нагрузка', phones: [phone] }, text: 'перезапуск' });
        // A real client: the same message again until it is acknowledged (200 decided, 202 stored).
        for (;;) {
          if (done) return;
          const res = await fetch(`http://127.0.0.1:${daemon.port}/api/v1/inbound`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }).catch(() => undefined);
          if (!res) {
            // Nothing answers: the daemon is gone (recorded as status 0, asserted below).
            statuses.set(0, (statuses.get(0) ?? 0) + 1);
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 503 && res.headers.get('retry-after')) retryAfterSeen = true;
          if (res.status === 200 || res.status === 202) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        acknowledged.set(body.externalId, phone);
      }
    };
    const senders = Array.from({ length: SENDERS }, sender);

    try {
      for (let i = 0; i < RESTARTS; i++) {
        const before = acknowledged.size;
        await cluster.restart(i % 2 === 0 ? 'fast' : 'immediate');
        // Intake recovers on its own after each restart before the next one. The budget is the daemon's own
        // watchdogs back to back (a group commit stuck on a half-sent statement is given up after 5 s, a decision
        // batch after 10 s) plus the cluster's crash recovery, on a machine the rest of the suite keeps busy: in
        // one full run of four, 20 s was not enough after a restart.
        await until(() => acknowledged.size >= before + SENDERS, 30_000, `progress after restart ${i + 1}`);
      }
    } finally {
      done = true;
      await Promise.all(senders);
    }

    expect(daemon.child.exitCode).toBeNull();
    expect(statuses.get(0) ?? 0).toBe(0);
    expect(daemon.output()).not.toMatch(/TypeError|uncaught/i);
    expect(statuses.get(500) ?? 0).toBe(0);
    expect(retryAfterSeen).toBe(true);

    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      // Whatever an outage left pending, the replay worker finishes by itself.
      await until(
        async () => {
          const [row] = await sql`
            SELECT count(*)::int AS n FROM inbound_events WHERE status IN ('received', 'failed')`;
          return row!.n === 0;
        },
        30_000,
        'pending events to be processed',
      );
      const [dead] = await sql`SELECT count(*)::int AS n FROM inbound_events WHERE status <> 'processed'`;
      expect(dead!.n).toBe(0);
      const ids = [...acknowledged.keys()];
      const messages = await sql<{ externalId: string; n: number }[]>`
        SELECT external_id AS "externalId", count(*)::int AS n FROM messages
        WHERE external_id = ANY(${ids}) GROUP BY external_id`;
      // 0 lost, 0 duplicated: each acknowledged message exactly once, one lead per new client.
      expect(messages.length).toBe(ids.length);
      expect(messages.filter((m) => m.n !== 1)).toEqual([]);
      const phones = [...acknowledged.values()].map((p) => `+7${p}`);
      const [leads] = await sql`
        SELECT count(*)::int AS n, count(DISTINCT i.value)::int AS clients FROM leads l
        JOIN identities i ON i.contact_id = l.contact_id WHERE i.value = ANY(${phones})`;
      expect(leads).toEqual({ n: ids.length, clients: ids.length });
    } finally {
      await sql.end();
    }
    const ready = await fetch(`http://127.0.0.1:${daemon.port}/readyz`);
    expect(ready.status).toBe(200);
  }, 240_000);
});
