import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import { errorMessage, SwitchboardError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { openRecording, RefusedLinkError } from './recording-http.js';

/**
 * How to fetch one recording: the PBX decides (a plain link, a link needing X-API-KEY, a signed POST) and
 * which hosts the link and its redirects may reach.
 */
export type RecordingRequest = (row: { url: string; provider: string; account: string }) => {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  hosts: readonly string[];
};

export interface RecordingFetcherOptions {
  sql: Sql;
  /** Files go to <dir>/<call id>.<ext>. Absent (no data directory): nothing is downloaded, rows wait. */
  dir: string | undefined;
  clock: Clock;
  log: Logger;
  request: RecordingRequest;
  maxAttempts: number;
  retryBaseDelayMs: number;
  pollIntervalMs: number;
  maxBytes: number;
  /** A transfer silent for this long is abandoned (and retried); the whole transfer has no time limit. */
  idleTimeoutMs: number;
  /** Tests only: allow loopback/private addresses (see recording-http.ts). */
  allowPrivateNetworks: boolean;
}

interface DueRow {
  callId: string;
  url: string;
  attempts: number;
  provider: string;
  account: string;
}

const EXTENSIONS: Record<string, string> = {
  'audio/mpeg': '.mp3',
  'audio/mp3': '.mp3',
  'audio/wav': '.wav',
  'audio/x-wav': '.wav',
  'audio/wave': '.wav',
  'audio/ogg': '.ogg',
};

class PermanentDownloadError extends SwitchboardError {
  constructor(message: string) {
    super('upstream_failed', message, { retryable: false });
  }
}

/**
 * Copies recording files from the PBX into the data directory in the background. Links are short-lived
 * and may not exist yet when the call record arrives, so a failure is retried with exponential backoff
 * (retryBaseDelayMs * 2^attempts) and marked failed after maxAttempts. A file is written to a temporary name
 * and renamed, so a crash never leaves a half file that looks complete. Only links to the account's own hosts
 * are fetched, never internal addresses (recording-http.ts); a refused link fails at once with the reason.
 */
export function createRecordingFetcher(opts: RecordingFetcherOptions) {
  // Aborts a transfer in flight on stop(): long recordings must not hold up a shutdown.
  let stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopping = false;

  async function download(
    row: DueRow,
    dir: string,
  ): Promise<{ fileName: string; contentType: string; bytes: number }> {
    const { hosts, ...request } = opts.request(row);
    const opened = await openRecording({
      ...request,
      hosts,
      allowPrivateNetworks: opts.allowPrivateNetworks,
      idleTimeoutMs: opts.idleTimeoutMs,
      signal: stopped.signal,
    });
    const res = opened.response;
    const declared = Number(res.headers['content-length'] ?? '0');
    if (declared > opts.maxBytes) {
      opened.done();
      res.destroy();
      throw new PermanentDownloadError(`recording of ${declared} bytes is over the ${opts.maxBytes} limit`);
    }
    const contentType = (res.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
    const ext = EXTENSIONS[contentType] ?? (path.extname(opened.url.pathname).slice(0, 6) || '.bin');
    const fileName = `${row.callId}${ext}`;
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${fileName}.part`);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        opened.touch();
        bytes += chunk.length;
        if (bytes > opts.maxBytes)
          cb(new PermanentDownloadError(`recording over the ${opts.maxBytes} limit`));
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(res, counter, createWriteStream(tmp));
      await rename(tmp, path.join(dir, fileName));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    } finally {
      opened.done();
    }
    return { fileName, contentType, bytes };
  }

  async function handle(row: DueRow, dir: string): Promise<boolean> {
    try {
      const file = await download(row, dir);
      await opts.sql`
        UPDATE call_recordings SET status = 'stored', attempts = attempts + 1, file_name = ${file.fileName},
          content_type = ${file.contentType}, bytes = ${file.bytes}, stored_at = ${opts.clock()}, last_error = NULL
        WHERE call_id = ${row.callId}`;
      return true;
    } catch (err) {
      // Stopped mid-transfer: not the file's fault, it stays due for the next start.
      if (stopping) return false;
      const permanent = err instanceof PermanentDownloadError || err instanceof RefusedLinkError;
      const attempts = row.attempts + 1;
      const failed = permanent || attempts >= opts.maxAttempts;
      const delay = opts.retryBaseDelayMs * 2 ** Math.min(row.attempts, 16);
      await opts.sql`
        UPDATE call_recordings SET attempts = ${attempts}, last_error = ${errorMessage(err).slice(0, 500)},
          status = ${failed ? 'failed' : 'pending'},
          next_attempt_at = ${new Date(opts.clock().getTime() + delay)}
        WHERE call_id = ${row.callId}`;
      opts.log.warn(
        { callId: row.callId, attempts, failed, err: errorMessage(err) },
        'recording download failed',
      );
      return false;
    }
  }

  /** Downloads every recording due now; returns how many were stored. */
  async function runOnce(limit = 20): Promise<number> {
    const dir = opts.dir;
    if (!dir) return 0;
    const rows = await opts.sql<DueRow[]>`
      SELECT r.call_id, r.url, r.attempts, c.provider, c.account
      FROM call_recordings r JOIN calls c ON c.id = r.call_id
      WHERE r.status = 'pending' AND r.next_attempt_at <= ${opts.clock()}
      ORDER BY r.next_attempt_at LIMIT ${limit}`;
    let stored = 0;
    for (const row of rows) {
      if (stopping) break;
      if (await handle(row, dir)) stored++;
    }
    return stored;
  }

  function tick(): void {
    if (stopping || running) return;
    running = runOnce()
      .catch((err) => {
        opts.log.error({ err: errorMessage(err) }, 'recording pass failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
  }

  return {
    runOnce,
    start(): void {
      stopping = false;
      stopped = new AbortController();
      timer = setInterval(tick, opts.pollIntervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      stopping = true;
      stopped.abort();
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type RecordingFetcher = ReturnType<typeof createRecordingFetcher>;
