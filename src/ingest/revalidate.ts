import type { Sql } from 'postgres';
import type { Logger } from '../observability/logger.js';
import type { EventSource } from './processor.js';

/** Rows read at a time: each may carry up to a request body of raw bytes. */
const BATCH = 100;

interface RejectedRow {
  id: string;
  source: string;
  payload: unknown;
  raw: Uint8Array | null;
}

/**
 * Re-reads the events refused at the edge with the code running now: each one its channel can normalize today
 * (a schema relaxed by an upgrade, a parser fixed) goes back to `received` and the replay worker decides it;
 * the others stay `rejected` as they are. Runs at every start, so an upgrade never leaves a client's
 * request behind. Normalizing has no side effects: nothing is decided here. The newest `limit` rejected events
 * are read, a batch at a time.
 */
export async function revalidateRejected(deps: {
  sql: Sql;
  sources: (name: string) => EventSource | undefined;
  log: Logger;
  limit?: number;
}): Promise<{ checked: number; promoted: number }> {
  const limit = deps.limit ?? 10_000;
  let checked = 0;
  let promoted = 0;
  let after: string | undefined;
  while (checked < limit) {
    // Keyset order, newest first (the cursor's own timestamp, read in SQL, keeps its microseconds).
    const rows: RejectedRow[] = await deps.sql<RejectedRow[]>`
      SELECT id, source, payload, raw FROM inbound_events
      WHERE status = 'rejected'
        ${after ? deps.sql`AND (received_at, id) < (SELECT received_at, id FROM inbound_events WHERE id = ${after}::uuid)` : deps.sql``}
      ORDER BY received_at DESC, id DESC LIMIT ${Math.min(BATCH, limit - checked)}`;
    for (const row of rows)
      if (await readableNow(deps.sources, row)) promoted += await promote(deps.sql, row.id);
    checked += rows.length;
    after = rows.at(-1)?.id;
    if (rows.length < BATCH) break;
  }
  if (promoted > 0)
    deps.log.info({ checked, promoted }, 'rejected events readable now: queued for processing');
  return { checked, promoted };
}

async function readableNow(sources: (name: string) => EventSource | undefined, row: RejectedRow) {
  const source = sources(row.source);
  if (!source) return false;
  try {
    return (await source.normalize(row.payload, row.raw ?? undefined)).ok;
  } catch {
    return false;
  }
}

async function promote(sql: Sql, id: string): Promise<number> {
  const updated = await sql`
    UPDATE inbound_events SET status = 'received', last_error = NULL, next_attempt_at = NULL
    WHERE id = ${id} AND status = 'rejected' RETURNING id`;
  return updated.length;
}
