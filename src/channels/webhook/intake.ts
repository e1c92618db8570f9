import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import { createBatcher } from '../../ingest/batcher.js';
import { type EventContent, type NewInboundRow, storeEach } from '../../ingest/inbound-store.js';
import type { ProcessOutcome, Processor } from '../../ingest/processor.js';
import type { Metrics } from '../../observability/metrics.js';

/** A payload as a transport received it, before anything was decided. */
export interface IncomingPayload {
  /** The channel's name (`inbound_events.source`). */
  source: string;
  account?: string;
  /** The provider's id of the message/call when the transport knows it (dedup across redeliveries). */
  externalId?: string;
  /** The decoded payload to store as JSON (what `normalize` reads); never a secret. */
  payload?: unknown;
  /** The bytes exactly as received, when they matter (signed fields, MIME). */
  raw?: Uint8Array;
  contentType?: string;
}

/**
 * The one intake every transport uses: a payload is committed to `inbound_events` BEFORE the sender is
 * answered, so a crash or a bug never loses it (the replay worker finishes whatever was left pending).
 * Payloads that arrive together share one commit (group commit, see createBatcher).
 */
export interface Intake {
  /** Stores the payload (status `received`) and returns the event id. Commits before it resolves. */
  accept(incoming: IncomingPayload): Promise<string>;
  /**
   * Stores a payload refused for its shape (status `rejected`, with the reason), so a client's message in a
   * slightly wrong format is never lost; counted in `switchboard_inbound_failures_total{outcome="rejected"}`.
   */
  reject(incoming: IncomingPayload & { reason: string }): Promise<string>;
  /**
   * Adds what a transport learned after storing (a messenger's profile lookup) under `enrichment` in the
   * stored payload, while the event is still unprocessed. The received bytes and fields are left as they were.
   */
  enrich(eventId: string, enrichment: Record<string, unknown>): Promise<void>;
  /**
   * Adds top-level fields to the stored payload while the event is still unprocessed (what a transport fetched
   * after storing: WhatsApp's copied media files). Every change to a stored payload goes through the intake,
   * which hands the processor the payload it stored (see `process`).
   */
  amend(eventId: string, fields: Record<string, unknown>): Promise<void>;
  /** Decides a stored event now (the caller awaits the decision, or fires and forgets). */
  process(eventId: string): Promise<ProcessOutcome>;
  /**
   * `accept` and `process` in one: the payload is stored by its decision's transaction, with the other
   * payloads and decisions of its batch, in one commit (Processor.storeAndProcess). For a transport that
   * awaits the decision and has nothing to add to the payload in between. Resolves once the payload is
   * stored (decided, or `failed` and pending); rejects when it is not known to be stored, as `accept` does.
   */
  acceptAndProcess(incoming: IncomingPayload): Promise<{ eventId: string; outcome: ProcessOutcome }>;
}

/** Stored events kept in memory for the processor (a few seconds' worth at the most the daemon takes). */
const RECENT_EVENTS = 2_000;

/** At most this many payloads per group commit (10 columns each: far below the protocol's parameter limit). */
const INTAKE_BATCH = 200;

/**
 * A group commit not settled after this long is given up: its senders get 503 + Retry-After (BatchTimeoutError
 * counts as "database unavailable") and the next batch goes ahead, so a query stuck on a dead connection never
 * holds up the requests behind it. While a batch is stuck, the whole intake waits, so the watchdog is short:
 * a healthy multi-row INSERT of 200 rows takes milliseconds; 5 s is the Retry-After we answer with anyway. In
 * test/pg-restart 1–9 batches per run (20 restarts) got stuck after a restart; with 10 s the test took
 * 85–103 s against 32–39 s for the per-event path, most of it intake waiting out the watchdog.
 *
 * A given-up INSERT may still commit later. That is harmless: the sender, told 503, sends the payload again,
 * which is stored as a second event; whichever of the two is decided second finds the first one's message and
 * is rule 1's `duplicate` (same channel, account and external id: `applyLeadRules` holds an advisory lock on
 * that key and `messages` has UNIQUE (channel, account, external_id)). The API derives the external id from the
 * body when the client gives none, so a resend is the same id there too. A `rejected` payload is never decided:
 * its second copy is only one more row to inspect.
 */
const INTAKE_TIMEOUT_MS = 5_000;

export function createIntake(deps: {
  sql: Sql;
  clock: Clock;
  metrics: Metrics;
  processor: Processor;
  /** The group commit's watchdog (default INTAKE_TIMEOUT_MS); tests shorten it. */
  timeoutMs?: number;
}): Intake {
  type Row = NewInboundRow;
  // Group commit: payloads arriving together are stored by one INSERT in one commit, each sender answered
  // after it. Should the statement fail, every row is retried alone, so one bad payload fails only itself.
  const batcher = createBatcher<Row, string>({
    maxBatch: INTAKE_BATCH,
    timeoutMs: deps.timeoutMs ?? INTAKE_TIMEOUT_MS,
    run: (rows, { signal }) => storeEach(deps.sql, rows, () => signal.aborted),
  });
  const rowOf = (e: IncomingPayload, rejectedWith?: string): Row => ({
    id: newId(),
    source: e.source,
    ...(e.account !== undefined ? { account: e.account } : {}),
    ...(e.externalId !== undefined ? { externalId: e.externalId } : {}),
    ...(e.payload !== undefined ? { payloadJson: JSON.stringify(e.payload) } : {}),
    ...(e.raw ? { raw: e.raw } : {}),
    ...(e.contentType ? { contentType: e.contentType } : {}),
    ...(rejectedWith !== undefined ? { rejectedWith } : {}),
    receivedAt: deps.clock(),
  });
  // What this daemon has just stored, handed to the processor with the id so that it need not read it back:
  // the payload parsed from the JSON text the row was stored from, as the row gives it back (but for the
  // order of object keys). Removed when processed or amended, and bounded for the events a caller stores and
  // never asks to process.
  const recent = new Map<string, EventContent>();
  const contentOf = (row: Row): EventContent => ({
    source: row.source,
    payload: row.payloadJson === undefined ? null : JSON.parse(row.payloadJson),
    raw: row.raw ? Buffer.from(row.raw) : null,
    receivedAt: row.receivedAt,
  });
  const remember = (row: Row) => {
    recent.set(row.id, contentOf(row));
    if (recent.size > RECENT_EVENTS) recent.delete(recent.keys().next().value!);
  };
  async function amend(eventId: string, fields: Record<string, unknown>): Promise<void> {
    recent.delete(eventId); // The row changes: the processor reads it back.
    await deps.sql`
      UPDATE inbound_events SET payload = payload || ${deps.sql.json(fields as never)}::jsonb
      WHERE id = ${eventId} AND status = 'received' AND jsonb_typeof(payload) = 'object'`;
  }
  return {
    async accept(incoming) {
      const row = rowOf(incoming);
      const id = await batcher.submit(row);
      remember(row);
      return id;
    },
    async reject(incoming) {
      const id = await batcher.submit(rowOf(incoming, incoming.reason || 'rejected'));
      deps.metrics.failures.inc({ source: incoming.source, outcome: 'rejected' });
      return id;
    },
    async enrich(eventId, enrichment) {
      await amend(eventId, { enrichment });
    },
    amend,
    async acceptAndProcess(incoming) {
      const row = rowOf(incoming);
      return { eventId: row.id, outcome: await deps.processor.storeAndProcess(row, contentOf(row)) };
    },
    process(eventId) {
      const content = recent.get(eventId);
      recent.delete(eventId);
      return deps.processor.process(eventId, content);
    },
  };
}
