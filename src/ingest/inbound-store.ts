import type { Decision } from '../core/communication.js';
import type { SkippedCommunication } from '../core/normalize.js';
import type { Queryable as Sql } from '../db/queryable.js';
import { audit } from '../db/repos/audit.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { BatchResult } from './batcher.js';

export type InboundStatus = 'received' | 'processed' | 'failed' | 'dead' | 'rejected';

export interface StoredEvent {
  id: string;
  /** The channel whose payload this is (its module normalizes it). */
  source: string;
  account: string | null;
  externalId: string | null;
  payload: unknown;
  raw: Uint8Array | null;
  status: InboundStatus;
  attempts: number;
  decision: Decision[] | null;
  /** When Switchboard stored it: no communication in it happened later than this. */
  receivedAt: Date;
}

export interface NewInboundEvent {
  source: string;
  account?: string;
  externalId?: string;
  contentType?: string;
  payload?: unknown;
  raw?: Uint8Array;
  /** Set when the payload failed validation at the edge: kept for inspection, never processed. */
  rejectedWith?: string;
  /** From the injected clock; the database's now() when absent. */
  receivedAt?: Date;
}

/** Persists a payload exactly as received. This commits before the sender is acknowledged. */
export async function storeInboundEvent(sql: Sql, e: NewInboundEvent): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO inbound_events (source, account, external_id, content_type, payload, raw, status, last_error, received_at)
    VALUES (${e.source}, ${e.account ?? null}, ${e.externalId ?? null}, ${e.contentType ?? 'application/json'},
            ${e.payload === undefined ? null : sql.json(e.payload as never)}, ${e.raw ? Buffer.from(e.raw) : null},
            ${e.rejectedWith ? 'rejected' : 'received'}, ${e.rejectedWith ?? null}, ${e.receivedAt ?? sql`now()`})
    RETURNING id`;
  return row!.id;
}

/** A payload ready to store: its id and time given, its JSON as text (the caller's, which keeps it). */
export type NewInboundRow = Omit<NewInboundEvent, 'payload'> & {
  id: string;
  receivedAt: Date;
  /** The payload as JSON text (the caller's, which keeps it: see the intake). */
  payloadJson?: string;
};

/** How the transaction that stores a payload decided it (storeAndProcess): the row is inserted decided. */
export interface DecidedInsert {
  decisions: Decision[];
  skipped?: SkippedCommunication[];
}

/** The rows of a storeInboundEvents call that are inserted decided, and when they were decided. */
export interface DecidedRows {
  byId: ReadonlyMap<string, DecidedInsert>;
  at: Date;
}

/**
 * Several payloads by one multi-row INSERT (in the caller's transaction, or one commit of its own). Ids and
 * receive times come from the caller so that no row depends on the order of RETURNING. A statement error fails
 * the whole statement: `storeEach` then stores the rows one by one (a bad row must never cost its neighbours
 * theirs). A row in `decided` is inserted `processed`, with its decision and its one attempt, at its time: the
 * decision's own transaction stores its payloads that way, last, so that each is written once instead of
 * inserted `received` and then updated (migration 023 checks the references to it at COMMIT). Not `async`: the
 * statement is built before this returns, so that a caller who issues it without awaiting (the decision's last
 * statements, sent with its COMMIT) sees anything that fails in building it thrown at once, and rolls back,
 * instead of a rejection it ignores and a COMMIT without the row.
 */
export function storeInboundEvents(
  sql: Sql,
  events: readonly NewInboundRow[],
  decided?: DecidedRows,
): Promise<unknown> {
  if (events.length === 0) return Promise.resolve();
  // One statement text whatever the number of rows (prepared once per connection), arrays as parameters;
  // payloads, decisions and bytes travel as text and are cast by the server (the driver would re-encode a jsonb[]).
  const col = <T>(f: (e: (typeof events)[number]) => T) => events.map(f);
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
  const decision = (e: NewInboundRow) => decided?.byId.get(e.id);
  const decidedAt = decided?.at.toISOString() ?? null;
  const status = (e: NewInboundRow) => (e.rejectedWith ? 'rejected' : decision(e) ? 'processed' : 'received');
  return sql`
    INSERT INTO inbound_events (id, source, account, external_id, content_type, payload, raw, status, last_error,
                                received_at, decision, skipped, attempts, processed_at)
    SELECT * FROM unnest(
      ${col((e) => e.id)}::uuid[], ${col((e) => e.source)}::text[], ${col((e) => e.account ?? null) as string[]}::text[],
      ${col((e) => e.externalId ?? null) as string[]}::text[], ${col((e) => e.contentType ?? 'application/json')}::text[],
      ${col((e) => e.payloadJson ?? null) as string[]}::text[]::jsonb[],
      ${col((e) => (e.raw ? `\\x${Buffer.from(e.raw).toString('hex')}` : null)) as string[]}::text[]::bytea[],
      ${col(status)}::text[], ${col((e) => e.rejectedWith ?? null) as string[]}::text[],
      ${col((e) => e.receivedAt.toISOString())}::timestamptz[],
      ${col((e) => json(decision(e)?.decisions)) as string[]}::text[]::jsonb[],
      ${col((e) => json(decision(e)?.skipped)) as string[]}::text[]::jsonb[],
      ${col((e) => (decision(e) ? 1 : 0))}::int[],
      ${col((e) => (decision(e) ? decidedAt : null)) as string[]}::timestamptz[])`;
}

/**
 * Stores rows by one statement; should it fail, each row alone, so that one bad row fails only itself. Not
 * one by one when the database is away (each row would wait out the connect timeout again) or once `givenUp()`
 * (the senders were answered already). One result per row, in order: its id, or why it was not stored.
 */
export async function storeEach(
  sql: Sql,
  rows: readonly NewInboundRow[],
  givenUp: () => boolean = () => false,
): Promise<BatchResult<string>[]> {
  const stored = (r: NewInboundRow): BatchResult<string> => ({ ok: true, value: r.id });
  const failed = (error: unknown): BatchResult<string> => ({ ok: false, error });
  try {
    await storeInboundEvents(sql, rows);
    return rows.map(stored);
  } catch (err) {
    if (rows.length === 1 || isDatabaseUnavailable(err) || givenUp()) return rows.map(() => failed(err));
    // Each row alone; `async`, so that a row whose statement cannot even be built fails alone too.
    return Promise.all(
      rows.map(async (r) => {
        try {
          await storeInboundEvents(sql, [r]);
          return stored(r);
        } catch (error) {
          return failed(error);
        }
      }),
    );
  }
}

/** What deciding an event needs of it: its payload as stored, and who sent it when. */
export type EventContent = Pick<StoredEvent, 'source' | 'payload' | 'raw' | 'receivedAt'>;

/** The content of stored events, without a lock (the claim decides who works on an event). */
export async function readEvents(sql: Sql, ids: readonly string[]): Promise<Map<string, EventContent>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<(EventContent & { id: string })[]>`
    SELECT id, source, payload, raw, received_at FROM inbound_events WHERE id = ANY(${ids as string[]}::uuid[])`;
  return new Map(rows.map(({ id, ...content }) => [id, content]));
}

/** An event claimed for processing: where it stands (the content was read before, or is in memory). */
export type ClaimedEvent = Pick<StoredEvent, 'id' | 'status' | 'decision'>;

/**
 * Claims a batch of events for processing inside `tx` (one statement); the ones another worker holds right
 * now are absent from the map.
 */
export async function claimEvents(tx: Sql, ids: readonly string[]): Promise<Map<string, ClaimedEvent>> {
  const rows = await tx<ClaimedEvent[]>`
    SELECT id, status, decision FROM inbound_events WHERE id = ANY(${ids as string[]}::uuid[])
    FOR UPDATE SKIP LOCKED`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** Records what the source kept out of the lead rules, on the event and in the audit trail. */
export async function recordSkipped(tx: Sql, id: string, skipped: SkippedCommunication[]): Promise<void> {
  await tx`UPDATE inbound_events SET skipped = ${tx.json(skipped as never)} WHERE id = ${id}`;
  await auditSkipped(tx, id, skipped);
}

/** The audit trail's part of recordSkipped, for an event inserted with its `skipped` (storeInboundEvents). */
export async function auditSkipped(tx: Sql, id: string, skipped: SkippedCommunication[]): Promise<void> {
  for (const s of skipped)
    await audit(tx, {
      actor: 'pipeline',
      action: `skipped.${s.rule}`,
      entityType: 'inbound_event',
      entityId: id,
      reason: s.reason,
      data: { channel: s.channel, account: s.account, externalId: s.externalId },
      inboundEventId: id,
    });
}

/** Marks a batch of events processed with their decisions, in one statement (built at once: storeInboundEvents). */
export function markProcessed(
  tx: Sql,
  decided: readonly { id: string; decisions: Decision[] }[],
  now: Date,
): Promise<unknown> {
  if (decided.length === 0) return Promise.resolve();
  return tx`
    UPDATE inbound_events SET status = 'processed', decision = v.decisions,
      attempts = attempts + 1, processed_at = ${now}, last_error = NULL, next_attempt_at = NULL
    FROM jsonb_to_recordset(${tx.json(decided as never)}::jsonb) AS v(id uuid, decisions jsonb)
    WHERE inbound_events.id = v.id`;
}

/** Records a failed attempt: retried later with exponential backoff, or dead after `maxAttempts`. */
export async function markFailed(
  sql: Sql,
  id: string,
  error: string,
  opts: { now: Date; maxAttempts: number; baseDelayMs: number; permanent?: boolean },
): Promise<InboundStatus> {
  const [row] = await sql<{ status: InboundStatus }[]>`
    UPDATE inbound_events SET
      attempts = attempts + 1,
      last_error = ${error.slice(0, 2000)},
      status = CASE WHEN ${opts.permanent ?? false} OR attempts + 1 >= ${opts.maxAttempts} THEN 'dead' ELSE 'failed' END,
      next_attempt_at = ${opts.now}::timestamptz
        + make_interval(secs => ${opts.baseDelayMs / 1000}::float8 * power(2, least(attempts, 16)))
    -- Another worker may have committed the event after our attempt failed: its result stands.
    WHERE id = ${id} AND status <> 'processed'
    RETURNING status`;
  return row?.status ?? 'processed';
}

/**
 * Events due for (re)processing: received ones older than `graceMs` (all of them when 0: at start nothing is
 * in flight), failed ones whose backoff expired.
 */
export async function dueEvents(sql: Sql, now: Date, graceMs: number, limit: number): Promise<string[]> {
  const received =
    graceMs === 0
      ? sql`status = 'received'`
      : sql`(status = 'received' AND received_at <= ${now}::timestamptz - make_interval(secs => ${graceMs / 1000}::float8))`;
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM inbound_events
    WHERE ${received} OR (status = 'failed' AND next_attempt_at <= ${now})
    ORDER BY received_at LIMIT ${limit}`;
  return rows.map((r) => r.id);
}

export async function countPending(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM inbound_events WHERE status IN ('received', 'failed')`;
  return row?.n ?? 0;
}
