import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { storeFetchedMessage } from '../src/channels/email/store.js';
import type { ConfigInput } from '../src/config/schema.js';
import { type Dovecot, type DovecotUser, startDovecot } from './support/dovecot.js';
import {
  composeMail,
  createDaemonHarness,
  type DaemonHarness,
  emailTestConfig,
  readiness,
  startCuttingProxy,
  waitFor,
} from './support/email.js';
import { freshEmail } from './support/ids.js';
import { backends } from './support/pg.js';

const STREAM: DovecotUser = { user: 'stream', password: 'stream-secret' };
const RESET: DovecotUser = { user: 'reset', password: 'reset-secret' };
const FLAKY: DovecotUser = { user: 'flaky', password: 'flaky-secret' };
const CRASH: DovecotUser = { user: 'crash', password: 'crash-secret' };
const IDLE: DovecotUser = { user: 'idle', password: 'idle-secret' };
const LIVE: DovecotUser = { user: 'live', password: 'live-secret' };

const mailbox = (label: string, u: DovecotUser, port: number, folders = ['INBOX']) => ({
  label,
  address: `${label}@mebel-fabrika.ru`,
  host: '127.0.0.1',
  port,
  tls: 'none' as const,
  user: u.user,
  password: u.password,
  folders,
  backfill: true,
});

describe.each(backends())(
  'email delivery survives restarts, rebuilt folders and dropped connections, on %s',
  (backend) => {
    let dovecot: Dovecot;
    let h: DaemonHarness;

    beforeAll(async () => {
      dovecot = await startDovecot([STREAM, RESET, FLAKY, CRASH, IDLE, LIVE]);
    });
    afterEach(async () => {
      await h?.close();
    });
    afterAll(async () => {
      await dovecot?.stop();
    });

    const count = async (query: string, account: string): Promise<number> => {
      const rows = await h.daemon.sql.unsafe<{ n: number }[]>(query, [account]);
      return rows[0]!.n;
    };
    const processedCount = (account: string) =>
      count(
        `SELECT count(*)::int AS n FROM inbound_events WHERE source = 'email' AND account = $1 AND status = 'processed'`,
        account,
      );

    it('new mail is noticed through IDLE alone (safety sync effectively off)', async () => {
      h = await createDaemonHarness(backend);
      await h.start({
        ...emailTestConfig({ mailboxes: [mailbox('idle', IDLE, dovecot.port)] }),
        email: { mailboxes: [mailbox('idle', IDLE, dovecot.port)], syncIntervalMs: 3_600_000 },
      });
      // The sync on connect has run and the folder is quiet: from here only an EXISTS notification can trigger a sync.
      await waitFor(
        async () => (await readiness(h.daemon.port)).email.idle?.INBOX?.lastSyncAt,
        'the first sync',
      );
      await new Promise((r) => setTimeout(r, 1_500)); // network wait: imapflow enters IDLE after 1 s of quiet
      const m = composeMail({ from: freshEmail(), subject: 'Через IDLE', text: 'Нужен стеллаж' });
      await dovecot.appendMany(IDLE, 'INBOX', [m.raw]);
      await waitFor(async () => (await processedCount('idle')) === 1, 'the message processed', 10_000);
    });

    it('a daemon restart in the middle of a stream of 200 messages loses and duplicates nothing', async () => {
      h = await createDaemonHarness(backend);
      const config: ConfigInput = emailTestConfig({ mailboxes: [mailbox('stream', STREAM, dovecot.port)] });
      // 50 senders, 4 messages each, interleaved: exactly 50 leads and 200 messages if nothing is lost or doubled.
      const senders = Array.from({ length: 50 }, () => freshEmail());
      const mails = Array.from({ length: 200 }, (_, i) =>
        composeMail({ from: senders[i % 50]!, subject: `Заявка ${i}`, text: `Сообщение номер ${i}` }),
      );

      await dovecot.appendMany(
        STREAM,
        'INBOX',
        mails.slice(0, 80).map((m) => m.raw),
      );
      await h.start(config);
      // The rest keeps arriving while the daemon runs, is stopped and starts again.
      const stream = dovecot.appendMany(
        STREAM,
        'INBOX',
        mails.slice(80).map((m) => m.raw),
      );
      await waitFor(async () => (await processedCount('stream')) >= 40, '40 messages processed');
      await h.stop();
      const atStop = await h.request('GET', '/healthz').catch(() => 'down');
      expect(atStop).toBe('down');
      await stream;
      await h.start(config);
      await waitFor(
        async () => (await processedCount('stream')) >= 200,
        'all 200 messages processed',
        60_000,
      );

      const sql = h.daemon.sql;
      const [events] = await sql<{ n: number; ids: number }[]>`
      SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS ids FROM inbound_events
      WHERE source = 'email' AND account = 'stream'`;
      expect(events).toEqual({ n: 200, ids: 200 });
      const [messages] = await sql<{ n: number; ids: number }[]>`
      SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS ids FROM messages WHERE account = 'stream'`;
      expect(messages).toEqual({ n: 200, ids: 200 });
      const stored = new Set(
        (
          await sql<{ externalId: string }[]>`
      SELECT external_id FROM messages WHERE account = 'stream'`
        ).map((r) => r.externalId),
      );
      expect(mails.every((m) => stored.has(m.messageId))).toBe(true);
      const [leads] = await sql<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM leads WHERE account = 'stream'`;
      expect(leads!.n).toBe(50);
      const [cursor] = await sql<{ lastUid: string }[]>`
      SELECT last_uid::text FROM email_cursors WHERE mailbox = 'stream' AND folder = 'INBOX'`;
      expect(Number(cursor!.lastUid)).toBe(200);
    }, 180_000);

    it('a message stored just before a crash (not yet processed) is processed at start and not fetched again', async () => {
      h = await createDaemonHarness(backend);
      const m = composeMail({ from: freshEmail(), subject: 'Перед сбоем', text: 'Нужна витрина' });
      const [uid] = await dovecot.appendMany(CRASH, 'INBOX', [m.raw]);
      const uidValidity = await dovecot.uidValidity(CRASH, 'INBOX');
      // The crash window: the watcher stored the message and advanced the cursor, the process died before deciding.
      await h.start(emailTestConfig({ mailboxes: [] }));
      const stored = await storeFetchedMessage(h.daemon.sql, {
        event: {
          kind: 'received',
          mailbox: 'crash',
          folder: 'INBOX',
          uid: uid!,
          uidValidity: uidValidity.toString(),
          receivedAt: new Date().toISOString(),
        },
        raw: Buffer.from(m.raw),
      });
      expect(stored.status).toBe('stored');
      await h.stop();

      await h.start(emailTestConfig({ mailboxes: [mailbox('crash', CRASH, dovecot.port)] }));
      await waitFor(async () => (await processedCount('crash')) === 1, 'the pending message processed');
      await waitFor(async () => {
        const r = await readiness(h.daemon.port);
        return r.email.crash?.INBOX?.lastSyncAt;
      }, 'a sync of the folder');
      const [totals] = await h.daemon.sql<{ events: number; messages: number }[]>`
      SELECT (SELECT count(*) FROM inbound_events WHERE account = 'crash')::int AS events,
             (SELECT count(*) FROM messages WHERE account = 'crash')::int AS messages`;
      expect(totals).toEqual({ events: 1, messages: 1 });
    });

    it('a UIDVALIDITY change resyncs the folder without a single duplicate lead', async () => {
      h = await createDaemonHarness(backend);
      const config = emailTestConfig({ mailboxes: [mailbox('reset', RESET, dovecot.port, ['Requests'])] });
      const old = Array.from({ length: 5 }, () =>
        composeMail({ from: freshEmail(), subject: 'Запрос', text: 'Нужен шкаф' }),
      );
      await dovecot.appendMany(
        RESET,
        'Requests',
        old.map((m) => m.raw),
      );
      await h.start(config);
      await waitFor(async () => (await processedCount('reset')) === 5, 'the first 5 messages processed');
      const [before] = await h.daemon.sql<{ uidValidity: string }[]>`
      SELECT uid_validity::text FROM email_cursors WHERE mailbox = 'reset'`;
      await h.stop();

      // The server rebuilds the folder: same messages, new UIDVALIDITY, UIDs from 1 again; plus one new message.
      await dovecot.recreateFolder(RESET, 'Requests');
      const fresh = composeMail({ from: freshEmail(), subject: 'Новый запрос', text: 'Нужен стол' });
      await dovecot.appendMany(RESET, 'Requests', [...old.map((m) => m.raw), fresh.raw]);
      await h.start(config);
      await waitFor(async () => (await processedCount('reset')) === 6, 'the new message processed');
      const sql = h.daemon.sql;
      const [after] = await sql<{ uidValidity: string; lastUid: string }[]>`
      SELECT uid_validity::text, last_uid::text FROM email_cursors WHERE mailbox = 'reset'`;
      expect(after!.uidValidity).not.toBe(before!.uidValidity);
      expect(after!.lastUid).toBe('6');
      const [totals] = await sql<{ events: number; messages: number; leads: number }[]>`
      SELECT (SELECT count(*) FROM inbound_events WHERE account = 'reset')::int AS events,
             (SELECT count(*) FROM messages WHERE account = 'reset')::int AS messages,
             (SELECT count(*) FROM leads WHERE account = 'reset')::int AS leads`;
      expect(totals).toEqual({ events: 6, messages: 6, leads: 6 });
      const metrics = await fetch(`http://127.0.0.1:${h.daemon.port}/metrics`).then((r) => r.text());
      expect(metrics).toContain(
        'switchboard_email_uidvalidity_resets_total{mailbox="reset",folder="Requests"} 1',
      );
      expect(metrics).toContain(
        'switchboard_email_messages_total{mailbox="reset",folder="Requests",outcome="duplicate"} 5',
      );
    }, 120_000);

    it('a folder rebuilt under a connected watcher (no notification at all) is noticed by the periodic sync', async () => {
      h = await createDaemonHarness(backend);
      const first = composeMail({ from: freshEmail(), subject: 'До', text: 'Первое' });
      await dovecot.appendMany(LIVE, 'Requests', [first.raw]);
      await h.start(emailTestConfig({ mailboxes: [mailbox('live', LIVE, dovecot.port, ['Requests'])] }));
      await waitFor(async () => (await processedCount('live')) === 1, 'the first message processed');
      await dovecot.recreateFolder(LIVE, 'Requests');
      const second = composeMail({ from: freshEmail(), subject: 'После', text: 'Второе' });
      await dovecot.appendMany(LIVE, 'Requests', [first.raw, second.raw]);
      await waitFor(async () => (await processedCount('live')) === 2, 'the new message processed');
      const [totals] = await h.daemon.sql<{ events: number; messages: number }[]>`
      SELECT (SELECT count(*) FROM inbound_events WHERE account = 'live')::int AS events,
             (SELECT count(*) FROM messages WHERE account = 'live')::int AS messages`;
      expect(totals).toEqual({ events: 2, messages: 2 });
    });

    it('an IMAP server that drops the connection mid-fetch: the worker reconnects and takes every message exactly once', async () => {
      const proxy = await startCuttingProxy(dovecot.port);
      try {
        h = await createDaemonHarness(backend);
        // ~40 KB each: the first batch fetch is ~1 MB, cut after 300 KB.
        const mails = Array.from({ length: 30 }, (_, i) =>
          composeMail({
            from: freshEmail(),
            subject: `Большое письмо ${i}`,
            text: `Спецификация ${i}\n${'стол '.repeat(4000)}`,
          }),
        );
        await dovecot.appendMany(
          FLAKY,
          'INBOX',
          mails.map((m) => m.raw),
        );
        proxy.cutNextAfter(300_000);
        await h.start(emailTestConfig({ mailboxes: [mailbox('flaky', FLAKY, proxy.port)] }));
        await waitFor(async () => (await processedCount('flaky')) === 30, 'all 30 messages processed');
        expect(proxy.stats().cuts).toBe(1);
        expect(proxy.stats().connections).toBeGreaterThanOrEqual(2);
        const [totals] = await h.daemon.sql<{ events: number; ids: number; messages: number }[]>`
        SELECT (SELECT count(*) FROM inbound_events WHERE account = 'flaky')::int AS events,
               (SELECT count(DISTINCT external_id) FROM inbound_events WHERE account = 'flaky')::int AS ids,
               (SELECT count(*) FROM messages WHERE account = 'flaky')::int AS messages`;
        expect(totals).toEqual({ events: 30, ids: 30, messages: 30 });
        const ready = await readiness(h.daemon.port);
        expect(ready.email.flaky?.INBOX?.state).toBe('connected');
        const metrics = await fetch(`http://127.0.0.1:${h.daemon.port}/metrics`).then((r) => r.text());
        expect(metrics).toMatch(
          /switchboard_email_connection_failures_total\{mailbox="flaky",folder="INBOX",kind="(network|protocol)"\} 1/,
        );
      } finally {
        await h?.close();
        await proxy.close();
      }
    }, 120_000);
  },
);
