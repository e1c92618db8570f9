import type { Sql } from 'postgres';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { EventSource } from './processor.js';

/**
 * Re-reads the events refused at the edge with the code running now: each one its channel can normalize today
 * (a schema relaxed by an upgrade, a parser fixed) goes back to `received` and the replay worker decides it;
 * the others stay `rejected` with today's reason. Runs at every start, so an upgrade never leaves a client's
 * request behind. Normalizing has no side effects: nothing is decided here.
 */
export async function revalidateRejected(deps: {
  sql: Sql;
  sources: (name: string) => EventSource | undefined;
  log: Logger;
  limit?: number;
}): Promise<{ checked: number; promoted: number }> {
  const rows = await deps.sql<{ id: string; source: string; payload: unknown; raw: Uint8Array | null }[]>`
    SELECT id, source, payload, raw FROM inbound_events WHERE status = 'rejected'
    ORDER BY received_at DESC LIMIT ${deps.limit ?? 10_000}`;
  let promoted = 0;
  for (const row of rows) {
    const source = deps.sources(row.source);
    if (!source) continue;
    let reason: string | undefined;
    try {
      const result = await source.normalize(row.payload, row.raw ?? undefined);
      if (!result.ok) reason = `${result.field ? `${result.field}: ` : ''}${result.error}`;
    } catch (err) {
      reason = errorMessage(err);
    }
    if (reason !== undefined) continue;
    const updated = await deps.sql`
      UPDATE inbound_events SET status = 'received', last_error = NULL, next_attempt_at = NULL
      WHERE id = ${row.id} AND status = 'rejected' RETURNING id`;
    promoted += updated.length;
  }
  if (promoted > 0)
    deps.log.info({ checked: rows.length, promoted }, 'rejected events readable now: queued for processing');
  return { checked: rows.length, promoted };
}
