import { newId } from '../../core/ids.js';
import type { Queryable } from '../../db/queryable.js';
import type { OutboxEvent, OutboxEventType } from './events.js';

/** A receiver of outbox events: a configured webhook (`webhook:<name>`) or the Bitrix24 connector. */
export interface SubscriberSpec {
  name: string;
  events: readonly OutboxEventType[];
}

export type OutboxStatus = 'pending' | 'sending' | 'delivered' | 'failed';

export interface OutboxRow {
  seq: string;
  id: string;
  eventId: string;
  subscriber: string;
  type: OutboxEventType;
  payload: { id: string; type: OutboxEventType; occurredAt: string; data: Record<string, unknown> };
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

/** Writes events into the outbox, one row per interested subscriber, in the caller's transaction. */
export interface OutboxWriter {
  record(tx: Queryable, events: readonly OutboxEvent[], now: Date): Promise<void>;
}

export function createOutboxWriter(subscribers: readonly SubscriberSpec[]): OutboxWriter {
  return {
    async record(tx, events, now) {
      const rows = events.flatMap((e) => {
        const eventId = newId();
        const payload = { id: eventId, type: e.type, occurredAt: e.occurredAt, data: e.data };
        return subscribers
          .filter((s) => s.events.includes(e.type) && s.name !== e.origin)
          .map((s) => ({
            event_id: eventId,
            subscriber: s.name,
            type: e.type,
            payload: payload as never,
            next_attempt_at: now,
            created_at: now,
            updated_at: now,
          }));
      });
      if (rows.length === 0) return;
      // seq follows the order of `rows`: one statement, so the events of one change keep their order.
      await tx`INSERT INTO outbox ${tx(rows)}`;
    },
  };
}

// `seq` is read as text (a bigint): ORDER BY must name `outbox.seq`, or it sorts the text alias ("9" > "10").
const COLUMNS = `seq::text AS seq, id, event_id AS "eventId", subscriber, type, payload, status, attempts,
  next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt", last_error AS "lastError",
  created_at AS "createdAt"`;

/**
 * Claims the subscriber's head (its oldest undelivered row) when it is due, or when another instance's
 * lease on it expired. Only the head is ever claimed: that is the per-subscriber order. Two instances
 * serialize on the head's row lock, and the loser sees it `sending` and claims nothing.
 */
export async function claimHead(
  sql: Queryable,
  subscriber: string,
  instance: string,
  now: Date,
  leaseMs: number,
): Promise<OutboxRow | undefined> {
  const leaseExpired = new Date(now.getTime() - leaseMs);
  const [row] = await sql.unsafe<OutboxRow[]>(
    `UPDATE outbox SET status = 'sending', claimed_by = $1, claimed_at = $2, attempts = attempts + 1,
       updated_at = $2
     WHERE seq = (SELECT seq FROM outbox WHERE subscriber = $3 AND status IN ('pending', 'sending')
                  ORDER BY seq LIMIT 1 FOR UPDATE)
       AND ((status = 'pending' AND next_attempt_at <= $2) OR (status = 'sending' AND claimed_at < $4))
     RETURNING ${COLUMNS}`,
    [instance, now, subscriber, leaseExpired],
  );
  return row;
}

export type Settlement =
  | { status: 'delivered' }
  | { status: 'pending'; error: string; nextAttemptAt: Date }
  | { status: 'failed'; error: string };

/** Records an attempt's outcome, if this instance still holds the claim. False: the lease was lost. */
export async function settleRow(
  sql: Queryable,
  row: OutboxRow,
  instance: string,
  now: Date,
  s: Settlement,
): Promise<boolean> {
  const error = s.status === 'delivered' ? null : s.error;
  const next = s.status === 'pending' ? s.nextAttemptAt : row.nextAttemptAt;
  const updated = await sql`
    UPDATE outbox SET status = ${s.status}, last_error = ${error}, next_attempt_at = ${next},
      delivered_at = ${s.status === 'delivered' ? now : null}, claimed_by = NULL, claimed_at = NULL,
      updated_at = ${now}
    WHERE id = ${row.id} AND claimed_by = ${instance} AND status = 'sending'`;
  if (updated.count === 0) return false;
  await sql`
    INSERT INTO outbox_attempts (outbox_id, attempt, at, outcome, error)
    VALUES (${row.id}, ${row.attempts}, ${now}, ${s.status === 'pending' ? 'retry' : s.status}, ${error})
    ON CONFLICT DO NOTHING`;
  return true;
}

/** Subscribers with undelivered rows. */
export async function busySubscribers(sql: Queryable): Promise<string[]> {
  const rows = await sql<{ subscriber: string }[]>`
    SELECT DISTINCT subscriber FROM outbox WHERE status IN ('pending', 'sending')`;
  return rows.map((r) => r.subscriber);
}

export async function listOutbox(
  sql: Queryable,
  f: { status?: OutboxStatus; subscriber?: string; limit: number },
): Promise<OutboxRow[]> {
  return sql.unsafe<OutboxRow[]>(
    `SELECT ${COLUMNS} FROM outbox
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR subscriber = $2)
     ORDER BY outbox.seq DESC LIMIT $3`,
    [f.status ?? null, f.subscriber ?? null, f.limit],
  );
}

/** Counts by status, for /readyz and metrics. */
export async function outboxCounts(sql: Queryable): Promise<Record<OutboxStatus, number>> {
  const rows = await sql<{ status: OutboxStatus; n: number }[]>`
    SELECT status, count(*)::int AS n FROM outbox GROUP BY status`;
  const counts = { pending: 0, sending: 0, delivered: 0, failed: 0 };
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

/** Puts a failed row back in its subscriber's queue (at its original position). False: not failed. */
export async function retryRow(sql: Queryable, id: string, now: Date): Promise<OutboxRow | undefined> {
  const [row] = await sql.unsafe<OutboxRow[]>(
    `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, updated_at = $2
     WHERE id = $1 AND status = 'failed' RETURNING ${COLUMNS}`,
    [id, now],
  );
  return row;
}
