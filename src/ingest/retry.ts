import type { Sql } from 'postgres';
import { NotFoundError } from '../core/errors.js';
import { audit } from '../db/repos/audit.js';
import type { ProcessOutcome, Processor } from './processor.js';

/** Statuses a person may send back to processing after a fix. */
export const RETRYABLE_STATUSES = ['failed', 'dead', 'rejected'] as const;
export type RetryableStatus = (typeof RETRYABLE_STATUSES)[number];

/**
 * Retries one stored event now: a failed, dead or rejected event goes back to `failed` with its attempt due
 * and is processed at once (normalized again with the code running now). A processed event answers its stored
 * decision. The retry is in the audit trail with who asked for it.
 */
export async function retryInboundEvent(
  deps: { sql: Sql; processor: Processor },
  id: string,
  actor: string,
): Promise<ProcessOutcome> {
  const rows = await deps.sql<{ status: string }[]>`
    UPDATE inbound_events AS e SET status = 'failed', next_attempt_at = now()
    FROM (SELECT id, status FROM inbound_events WHERE id = ${id} FOR UPDATE) AS before
    WHERE e.id = before.id AND before.status IN ${deps.sql(RETRYABLE_STATUSES)}
    RETURNING before.status`;
  if (rows.length === 0) {
    const exists = await deps.sql`SELECT 1 FROM inbound_events WHERE id = ${id}`;
    if (exists.length === 0) throw new NotFoundError('inbound event');
  } else
    await audit(deps.sql, {
      actor,
      action: 'inbound_event.retry',
      entityType: 'inbound_event',
      entityId: id,
      reason: `retried by hand (was ${rows[0]!.status})`,
      inboundEventId: id,
    });
  return deps.processor.process(id);
}

/** What retrying a batch did: how many events, and how each ended. */
export interface RetryBatchOutcome {
  retried: number;
  processed: number;
  failed: number;
  dead: number;
  busy: number;
}

/**
 * Retries every event of the given statuses (oldest first, at most `limit`), one after another: the
 * admin page's «Повторить все» and `POST /api/v1/inbound-events/retry`.
 */
export async function retryInboundEvents(
  deps: { sql: Sql; processor: Processor },
  statuses: readonly RetryableStatus[],
  actor: string,
  limit = 500,
): Promise<RetryBatchOutcome> {
  const ids = await deps.sql<{ id: string }[]>`
    SELECT id FROM inbound_events WHERE status IN ${deps.sql(statuses)}
    ORDER BY received_at LIMIT ${limit}`;
  const out: RetryBatchOutcome = { retried: 0, processed: 0, failed: 0, dead: 0, busy: 0 };
  for (const { id } of ids) {
    const outcome = await retryInboundEvent(deps, id, actor);
    out.retried++;
    out[outcome.status]++;
  }
  return out;
}
