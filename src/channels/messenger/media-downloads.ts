import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { errorMessage, SwitchboardError } from '../../core/errors.js';
import { periodic } from '../../core/periodic.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { LinkStatusError, openRecording, RefusedLinkError } from '../../telephony/recording-http.js';
import type { MediaSettings } from './config.js';
import type { MediaItem, MediaRequest, MediaSource } from './media.js';
import { messengerMetrics } from './metrics.js';

export interface MediaDownloadsOptions {
  sql: Sql;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** The channel that owns a row (the channel modules that declare `media`). */
  sources: (channel: string) => MediaSource | undefined;
  /** How often the worker looks for due rows. */
  pollIntervalMs?: number;
  /** A claimed row is not claimed again for this long (another daemon, or this one after a crash, retries it). */
  leaseMs?: number;
}

type Outcome =
  | { status: 'stored'; contentType: string; bytes: Buffer }
  | { status: 'expired' | 'too_large' | 'failed'; error: string }
  | { status: 'retry'; error: string };

/** Not worth retrying: the size cap, a refused link, the provider's "no such file". */
class FinalMediaError extends Error {
  constructor(
    readonly status: 'expired' | 'too_large' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

const BY_EXTENSION: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.pdf': 'application/pdf',
};

/** The provider's Content-Type, else one guessed from the file or link name, else octet-stream. */
export function mediaContentType(header: string | undefined, ...names: (string | null | undefined)[]) {
  const declared = header?.split(';')[0]?.trim().toLowerCase();
  if (declared && /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(declared) && declared !== 'application/octet-stream')
    return declared;
  for (const name of names) {
    const ext = name ? path.extname(name.split('?')[0] ?? '').toLowerCase() : '';
    if (BY_EXTENSION[ext]) return BY_EXTENSION[ext];
  }
  return 'application/octet-stream';
}

/**
 * The shared attachment copier of the messenger channels. Rows of `message_media` are queued in the decision's
 * transaction (media.ts); this worker claims due rows (`FOR UPDATE SKIP LOCKED` plus a lease, so several
 * daemons on one database never fetch the same file twice at once and a crash only delays it), asks the
 * channel how to fetch each one, streams it with the account's size cap and idle timeout through the guarded
 * fetcher (only the account's media hosts, never internal addresses; src/telephony/recording-http.ts) and
 * stores the bytes in the row. A 404/410 is recorded as `expired`, a file over the cap as `too_large`, a
 * refused link as `failed`; anything else (5xx, network, a stall) is retried with exponential backoff until
 * `maxAttempts`, then `failed`. Every outcome is on the row (status, attempts, last_error) for the lead page.
 */
export function createMediaDownloads(opts: MediaDownloadsOptions) {
  const pollIntervalMs = opts.pollIntervalMs ?? 5_000;
  const leaseMs = opts.leaseMs ?? 10 * 60_000;
  const log = opts.log.child({ component: 'media' });
  const counter = messengerMetrics(opts.metrics.registry).media;
  let stopped = new AbortController();
  let stopping = false;

  async function fetchBytes(request: MediaRequest, settings: MediaSettings, item: MediaItem) {
    const opened = await openRecording({
      url: request.url,
      ...(request.headers ? { headers: request.headers } : {}),
      hosts: settings.hosts,
      allowPrivateNetworks: settings.allowPrivateNetworks,
      idleTimeoutMs: settings.idleTimeoutMs,
      signal: stopped.signal,
    });
    const res = opened.response;
    const tooLarge = () =>
      new FinalMediaError(
        'too_large',
        `the file is over the ${settings.maxBytes}-byte limit (media.maxBytes)`,
      );
    try {
      if (Number(res.headers['content-length'] ?? '0') > settings.maxBytes) {
        res.destroy();
        throw tooLarge();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        opened.touch();
        size += chunk.length;
        if (size > settings.maxBytes) {
          res.destroy();
          throw tooLarge();
        }
        chunks.push(chunk);
      }
      const contentType = mediaContentType(res.headers['content-type'], item.name, opened.url.pathname);
      return { contentType, bytes: Buffer.concat(chunks, size) };
    } finally {
      opened.done();
    }
  }

  async function download(item: MediaItem): Promise<Outcome> {
    const source = opts.sources(item.channel);
    const settings = source?.settings(item.account);
    if (!source || !settings)
      return { status: 'failed', error: `${item.channel} account "${item.account}" is not configured` };
    try {
      const request = source.request ? await source.request(item) : item.url ? { url: item.url } : undefined;
      if (!request) return { status: 'failed', error: 'no link to fetch' };
      return { status: 'stored', ...(await fetchBytes(request, settings, item)) };
    } catch (err) {
      if (err instanceof FinalMediaError) return { status: err.status, error: err.message };
      if (err instanceof RefusedLinkError) return { status: 'failed', error: err.message };
      if (err instanceof LinkStatusError) {
        if (err.status === 404 || err.status === 410)
          return { status: 'expired', error: `the provider no longer has the file (HTTP ${err.status})` };
        if (err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429)
          return { status: 'failed', error: `the provider refused the file (HTTP ${err.status})` };
      }
      if (err instanceof SwitchboardError && !err.retryable) return { status: 'failed', error: err.message };
      return { status: 'retry', error: errorMessage(err) };
    }
  }

  async function record(item: MediaItem & { attempts: number }, outcome: Outcome): Promise<void> {
    const now = opts.clock();
    counter.inc({ channel: item.channel, outcome: outcome.status });
    if (outcome.status === 'stored') {
      const sha256 = createHash('sha256').update(outcome.bytes).digest('hex');
      await opts.sql`
        UPDATE message_media SET status = 'stored', content = ${outcome.bytes},
          content_type = ${outcome.contentType}, bytes = ${outcome.bytes.length}, sha256 = ${sha256},
          stored_at = ${now}, last_error = NULL
        WHERE id = ${item.id}`;
      return;
    }
    const settings = opts.sources(item.channel)?.settings(item.account);
    const exhausted = item.attempts >= (settings?.maxAttempts ?? 1);
    const status = outcome.status === 'retry' ? (exhausted ? 'failed' : 'pending') : outcome.status;
    const delay = (settings?.retryBaseDelayMs ?? 60_000) * 2 ** Math.min(item.attempts - 1, 16);
    await opts.sql`
      UPDATE message_media SET status = ${status}, last_error = ${outcome.error.slice(0, 500)},
        next_attempt_at = ${new Date(now.getTime() + delay)}
      WHERE id = ${item.id}`;
    // The link and the file name can be personal: the id, the channel and the reason are enough.
    log.warn(
      { mediaId: item.id, channel: item.channel, account: item.account, attempts: item.attempts, status },
      `media not copied: ${outcome.error.slice(0, 200)}`,
    );
  }

  /** Copies every attachment due now (at most `limit`); returns how many were stored. */
  async function runOnce(limit = 10): Promise<number> {
    const now = opts.clock();
    const items = await opts.sql<(MediaItem & { attempts: number })[]>`
      UPDATE message_media m SET attempts = m.attempts + 1,
        next_attempt_at = ${new Date(now.getTime() + leaseMs)}
      FROM (
        SELECT id FROM message_media WHERE status = 'pending' AND next_attempt_at <= ${now}
        ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ) due
      WHERE m.id = due.id
      RETURNING m.id, m.channel, m.account, m.kind, m.source_url AS url, m.source_ref AS ref, m.name, m.attempts`;
    let stored = 0;
    for (const item of items) {
      // Stopped: the claimed rows wait out their lease and are fetched at the next start.
      if (stopping) break;
      const outcome = await download(item);
      if (stopping && outcome.status === 'retry') break;
      await record(item, outcome);
      if (outcome.status === 'stored') stored++;
    }
    return stored;
  }

  const loop = periodic(runOnce, pollIntervalMs, (err) =>
    log.error({ err: errorMessage(err) }, 'media pass failed'),
  );

  return {
    runOnce,
    start(): void {
      stopping = false;
      stopped = new AbortController();
      loop.start();
    },
    async stop(): Promise<void> {
      stopping = true;
      stopped.abort();
      await loop.stop();
    },
  };
}

export type MediaDownloads = ReturnType<typeof createMediaDownloads>;
