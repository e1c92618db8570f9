import type { Sql } from 'postgres';
import type { Clock } from '../../core/clock.js';
import { storeInboundEvent } from '../../ingest/inbound-store.js';
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
  /** Decides a stored event now (the caller awaits the decision, or fires and forgets). */
  process(eventId: string): Promise<ProcessOutcome>;
}

export function createIntake(deps: {
  sql: Sql;
  clock: Clock;
  metrics: Metrics;
  processor: Processor;
}): Intake {
  const store = (e: IncomingPayload, rejectedWith?: string) =>
    storeInboundEvent(deps.sql, {
      source: e.source,
      ...(e.account !== undefined ? { account: e.account } : {}),
      ...(e.externalId !== undefined ? { externalId: e.externalId } : {}),
      ...(e.payload !== undefined ? { payload: e.payload } : {}),
      ...(e.raw ? { raw: e.raw } : {}),
      ...(e.contentType ? { contentType: e.contentType } : {}),
      ...(rejectedWith !== undefined ? { rejectedWith } : {}),
      receivedAt: deps.clock(),
    });
  return {
    accept: (incoming) => store(incoming),
    async reject(incoming) {
      const id = await store(incoming, incoming.reason || 'rejected');
      deps.metrics.failures.inc({ source: incoming.source, outcome: 'rejected' });
      return id;
    },
    async enrich(eventId, enrichment) {
      await deps.sql`
        UPDATE inbound_events
        SET payload = payload || jsonb_build_object('enrichment', ${deps.sql.json(enrichment as never)}::jsonb)
        WHERE id = ${eventId} AND status = 'received' AND jsonb_typeof(payload) = 'object'`;
    },
    process: (eventId) => deps.processor.process(eventId),
  };
}
