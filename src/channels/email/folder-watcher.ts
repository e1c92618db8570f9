import type { FetchMessageObject, ImapFlow } from 'imapflow';
import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { getCursor, putCursor } from '../../db/repos/email-cursors.js';
import type { Processor } from '../../ingest/processor.js';
import type { Logger } from '../../observability/logger.js';
import type { MailboxConfig } from './config.js';
import type { EmailMetrics } from './metrics.js';
import { type RawSpill, storeFetchedMessage } from './store.js';

export type FolderState = 'starting' | 'connecting' | 'connected' | 'error' | 'stopped';
export type FailureKind = 'auth' | 'network' | 'protocol';

/** What /readyz shows for one watched folder. Server texts only: no addresses, no message content. */
export interface FolderStatus {
  state: FolderState;
  since: string;
  /** Consecutive failures; 0 once connected. */
  failures: number;
  lastError?: string;
  lastErrorKind?: FailureKind;
  lastSyncAt?: string;
}

export interface FolderWatcherOptions {
  sql: Sql;
  processor: Processor;
  log: Logger;
  clock: Clock;
  metrics: EmailMetrics;
  mailbox: MailboxConfig;
  folder: string;
  syncIntervalMs: number;
  idleRestartMs: number;
  reconnect: { minDelayMs: number; maxDelayMs: number };
  spill?: RawSpill;
}

// Fetch sources in batches so a backlog of big messages never sits in memory at once.
const BATCH_MESSAGES = 25;
const BATCH_BYTES = 32 * 1024 * 1024;

/**
 * Watches one folder of one mailbox: connect, sync (on connect, on EXISTS during IDLE, on a timer), and on
 * any error or disconnect reconnect with exponential backoff — an imapflow error never leaves this object.
 * Every fetched message is stored with the folder cursor in one transaction, then processed.
 */
export function createFolderWatcher(opts: FolderWatcherOptions) {
  const { mailbox, folder, log } = opts;
  const labels = { mailbox: mailbox.label, folder };
  const wlog = log.child({ mailbox: mailbox.label, folder });
  let status: FolderStatus = { state: 'starting', since: opts.clock().toISOString(), failures: 0 };
  let stopping = false;
  let loop: Promise<void> | undefined;
  let client: ImapFlow | undefined;
  let wake: (() => void) | undefined;

  const setState = (state: FolderState, extra: Partial<FolderStatus> = {}) => {
    status = { ...status, ...extra, state, since: opts.clock().toISOString() };
    opts.metrics.up.set(labels, state === 'connected' ? 1 : 0);
  };

  const recordFailure = (err: unknown) => {
    const kind = failureKind(err);
    const message = describeError(err);
    status = { ...status, failures: status.failures + 1, lastError: message, lastErrorKind: kind };
    setState('error');
    opts.metrics.connectionFailures.inc({ ...labels, kind });
    const level = kind === 'auth' || status.failures === 1 ? 'error' : 'warn';
    wlog[level]({ kind, err: message, failures: status.failures }, 'IMAP connection failed; will retry');
  };

  async function session(): Promise<void> {
    // Loaded when a mailbox is watched: a daemon without email never pays for the IMAP stack's memory.
    const { ImapFlow } = await import('imapflow');
    const c = new ImapFlow({
      host: mailbox.host,
      port: mailbox.port,
      secure: mailbox.tls === 'implicit',
      doSTARTTLS: mailbox.tls === 'starttls' ? true : mailbox.tls === 'none' ? false : undefined,
      auth: { user: mailbox.user, pass: mailbox.password },
      logger: false,
      maxIdleTime: opts.idleRestartMs,
      // IDLE (and with it new-mail notifications) starts after this quiet period; imapflow's default is 15 s.
      autoIdleDelay: 1_000,
    });
    client = c;
    let lastError: unknown;
    // Without this listener an emitted error would crash the daemon.
    c.on('error', (err: unknown) => {
      lastError = err;
      wlog.debug({ err: describeError(err) }, 'imapflow error');
    });
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    let syncing: Promise<void> | undefined;
    let again = false;
    let reselect = false;
    let selecting = false;
    // `fresh`: SELECT the folder again first. The periodic sync does, because a folder deleted and recreated
    // under a selected session (new UIDVALIDITY) produces no notification on that session at all.
    const scheduleSync = (fresh = false) => {
      if (stopping) return;
      reselect ||= fresh;
      if (syncing) {
        again = true;
        return;
      }
      syncing = (async () => {
        do {
          again = false;
          if (reselect) {
            reselect = false;
            selecting = true;
            try {
              await c.mailboxOpen(folder);
            } finally {
              selecting = false;
            }
          }
          await sync(c);
        } while ((again || reselect) && !stopping && c.usable);
      })()
        .catch((err) => {
          if (!stopping) lastError = err;
          c.close();
        })
        .finally(() => {
          syncing = undefined;
        });
    };

    // After a failure the folder stays in 'error' (with the reason) until a connection succeeds.
    if (status.failures === 0) setState('connecting');
    try {
      await c.connect();
      await c.mailboxOpen(folder);
    } catch (err) {
      c.close();
      throw err;
    }
    setState('connected', { failures: 0 });
    wlog.info('watching folder');
    c.on('exists', (e: { count: number; prevCount: number }) => {
      if (e.count > e.prevCount) scheduleSync();
    });
    // Re-emitted by imapflow when the server reports a new UIDVALIDITY.
    c.on('mailboxOpen', () => {
      if (!selecting) scheduleSync();
    });
    const timer = setInterval(() => scheduleSync(true), opts.syncIntervalMs);
    timer.unref();
    scheduleSync();
    if (stopping) c.close();
    await closed;
    clearInterval(timer);
    await syncing;
    if (!stopping) throw lastError ?? new Error('connection closed by the server');
  }

  async function sync(c: ImapFlow): Promise<void> {
    const mb = c.mailbox;
    if (!mb) throw new Error('no folder selected');
    const uidValidity = BigInt(mb.uidValidity);
    let cursor = await getCursor(opts.sql, mailbox.label, folder);
    if (!cursor) {
      cursor = { uidValidity, lastUid: mailbox.backfill ? 0 : Math.max(0, mb.uidNext - 1) };
      await putCursor(opts.sql, mailbox.label, folder, cursor);
    } else if (cursor.uidValidity !== uidValidity) {
      wlog.warn(
        { from: cursor.uidValidity.toString(), to: uidValidity.toString() },
        'UIDVALIDITY changed: resyncing the folder, already stored messages are recognized by Message-ID',
      );
      opts.metrics.uidValidityResets.inc(labels);
      cursor = { uidValidity, lastUid: 0 };
      await putCursor(opts.sql, mailbox.label, folder, cursor);
    }
    if (mb.exists > 0) {
      const from = cursor.lastUid;
      // RFC 3501: "n:*" always includes the highest UID, even below n; filter.
      const listed = (await c.fetchAll(`${from + 1}:*`, { uid: true, size: true }, { uid: true }))
        .filter((m) => m.uid > from)
        .sort((a, b) => a.uid - b.uid);
      for (const batch of batches(listed)) {
        if (stopping) return;
        const fetched = await c.fetchAll(
          batch.join(','),
          { uid: true, source: true, internalDate: true },
          { uid: true },
        );
        fetched.sort((a, b) => a.uid - b.uid);
        for (const m of fetched) {
          if (stopping) return;
          await ingest(m, uidValidity);
        }
      }
    }
    status = { ...status, lastSyncAt: opts.clock().toISOString() };
  }

  async function ingest(m: FetchMessageObject, uidValidity: bigint): Promise<void> {
    if (!m.source) throw new Error(`UID ${m.uid}: the server returned no message source`);
    const internal = m.internalDate ? new Date(m.internalDate) : undefined;
    const outcome = await storeFetchedMessage(
      opts.sql,
      {
        event: {
          kind: 'received',
          mailbox: mailbox.label,
          folder,
          uid: m.uid,
          uidValidity: uidValidity.toString(),
          ...(internal && !Number.isNaN(internal.getTime()) ? { internalDate: internal.toISOString() } : {}),
          receivedAt: opts.clock().toISOString(),
        },
        raw: m.source,
      },
      opts.spill,
    );
    if (outcome.status === 'behind') return;
    opts.metrics.fetched.inc({ ...labels, outcome: outcome.status });
    if (outcome.status === 'duplicate') {
      wlog.debug({ uid: m.uid }, 'message already stored (same Message-ID): not stored again');
      return;
    }
    // A failure here leaves the event pending: the replay worker retries it.
    const processed = await opts.processor.process(outcome.eventId);
    wlog.debug({ uid: m.uid, eventId: outcome.eventId, status: processed.status }, 'message processed');
  }

  async function run(): Promise<void> {
    while (!stopping) {
      try {
        await session();
      } catch (err) {
        if (!stopping) recordFailure(err);
      } finally {
        client = undefined;
      }
      if (stopping) break;
      const base = Math.min(
        opts.reconnect.maxDelayMs,
        opts.reconnect.minDelayMs * 2 ** Math.min(status.failures - 1, 20),
      );
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
    setState('stopped');
  }

  return {
    start(): void {
      if (loop) return;
      stopping = false;
      loop = run();
    },
    /** Closes the connection and waits for the loop to end; a message being stored finishes or rolls back. */
    async stop(): Promise<void> {
      stopping = true;
      wake?.();
      client?.close();
      await loop;
      loop = undefined;
    },
    status: (): FolderStatus => status,
  };
}

function batches(list: { uid: number; size?: number | undefined }[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  for (const m of list) {
    if (cur.length > 0 && (cur.length >= BATCH_MESSAGES || bytes + (m.size ?? 0) > BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(m.uid);
    bytes += m.size ?? 0;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function failureKind(err: unknown): FailureKind {
  const e = err as { authenticationFailed?: boolean; code?: string; serverResponseCode?: string };
  if (e?.authenticationFailed || e?.serverResponseCode === 'AUTHENTICATIONFAILED') return 'auth';
  if (e?.code && /^(E[A-Z]+|CONNECT_TIMEOUT|ETIMEOUT|NoConnection|ClosedAfterConnect.*)$/.test(e.code))
    return 'network';
  if (err instanceof Error && /closed|timeout|socket|ECONN/i.test(err.message)) return 'network';
  return 'protocol';
}

function describeError(err: unknown): string {
  const e = err as { responseText?: string; code?: string };
  const text = e?.responseText ? `${errorMessage(err)}: ${e.responseText}` : errorMessage(err);
  return (e?.code ? `${text} (${e.code})` : text).slice(0, 300);
}
