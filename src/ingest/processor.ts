import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import type { Decision, InboundCommunication } from '../core/communication.js';
import { errorMessage, SwitchboardError } from '../core/errors.js';
import type { Normalize, SkippedCommunication } from '../core/normalize.js';
import type { Queryable } from '../db/queryable.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { applyLeadRules, type LeadRulesDeps } from '../routing/lead-rules.js';
import { claimEvent, markFailed, markProcessed, recordSkipped } from './inbound-store.js';

export type ProcessOutcome =
  | { status: 'processed'; decisions: Decision[]; skipped?: SkippedCommunication[] }
  /** Another worker holds the event right now; it will finish it. */
  | { status: 'busy' }
  | { status: 'failed' | 'dead'; error: string };

/**
 * Work a channel family adds to a decision, inside the same transaction (telephony: the calls row, the
 * recording to copy, the lead's call-back mark). Not called for duplicates. Called without a decision for a
 * communication its source keeps out of the lead rules (NormalizeResult.recordOnly).
 */
export type AfterDecision = (
  tx: Queryable,
  input: { source: string; comm: InboundCommunication; decision?: Decision },
) => Promise<void>;

/** What the processor needs of a channel: how to read its stored payloads, and its decision hook. */
export interface EventSource {
  normalize: Normalize;
  afterDecision?: AfterDecision;
}

export interface ProcessorDeps extends LeadRulesDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  maxAttempts: number;
  retryBaseDelayMs: number;
  /** The channel that owns an event's `source` (the channel list); unknown sources make the event dead. */
  sources: (name: string) => EventSource | undefined;
  /** Writes the events of the decisions into the outbox, in their transaction (src/crm/outbox). */
  outbox?: DecisionOutbox;
}

/** The outbox as the processor sees it: record in the decision's transaction, wake the worker after commit. */
export interface DecisionOutbox {
  record(
    tx: Queryable,
    decided: readonly { comm: InboundCommunication; decision: Decision }[],
  ): Promise<void>;
  kick(): void;
}

// Serialization failure, deadlock, unique violation from a racing writer: safe to retry at once.
const TRANSIENT_PG_CODES = new Set(['40001', '40P01', '23505']);
const INLINE_RETRIES = 3;

class PermanentEventError extends SwitchboardError {
  constructor(message: string) {
    super('unprocessable', message);
  }
}

/**
 * A sender's clock is not ours: a web form sending Moscow time as UTC stamps its lead three hours in the future,
 * and its SLA clock would start late. Nothing happened after we received it, so the time is clamped to that.
 */
function clampToReceived(comm: InboundCommunication, receivedAt: Date): InboundCommunication {
  return comm.occurredAt > receivedAt ? { ...comm, occurredAt: receivedAt } : comm;
}

/**
 * Processes one stored inbound event: normalize -> lead rules (-> routing) -> mark processed, all in one
 * transaction, so a crash anywhere leaves the event pending and its effects absent. Re-processing an event
 * that already committed returns its stored decision; a message seen before is a `duplicate`.
 */
export function createProcessor(deps: ProcessorDeps) {
  const inFlight = new Set<Promise<unknown>>();

  async function attempt(eventId: string): Promise<ProcessOutcome & { source?: string }> {
    return deps.sql.begin(async (tx) => {
      const event = await claimEvent(tx, eventId);
      if (!event) return { status: 'busy' as const };
      if (event.status === 'processed')
        return { status: 'processed' as const, decisions: event.decision ?? [] };
      if (event.status === 'dead' || event.status === 'rejected')
        throw new PermanentEventError(`event is ${event.status}`);
      const source = deps.sources(event.source);
      if (!source) throw new PermanentEventError(`unknown source "${event.source}"`);
      const normalized = await source.normalize(event.payload, event.raw ?? undefined);
      if (!normalized.ok)
        throw new PermanentEventError(
          `cannot normalize: ${normalized.field ? `${normalized.field}: ` : ''}${normalized.error}`,
        );
      const decided: { comm: InboundCommunication; decision: Decision }[] = [];
      for (const sent of normalized.communications) {
        const comm = clampToReceived(sent, event.receivedAt);
        const decision = await applyLeadRules(tx, comm, deps, event.id);
        if (source.afterDecision && decision.kind !== 'duplicate')
          await source.afterDecision(tx, { source: event.source, comm, decision });
        decided.push({ comm, decision });
      }
      for (const kept of normalized.recordOnly ?? [])
        await source.afterDecision?.(tx, {
          source: event.source,
          comm: clampToReceived(kept, event.receivedAt),
        });
      // Outbox (lead.created, message.created…): committed with the decision or not at all.
      await deps.outbox?.record(tx, decided);
      const decisions = decided.map((d) => d.decision);
      const skipped = normalized.skipped ?? [];
      if (skipped.length > 0) await recordSkipped(tx, event.id, skipped);
      await markProcessed(tx, event.id, decisions, deps.clock());
      return {
        status: 'processed' as const,
        decisions,
        ...(skipped.length > 0 ? { skipped } : {}),
        source: event.source,
      };
    });
  }

  async function run(eventId: string): Promise<ProcessOutcome> {
    const started = performance.now();
    for (let i = 1; ; i++) {
      try {
        const outcome = await attempt(eventId);
        if (outcome.status === 'processed' && outcome.source) {
          deps.outbox?.kick();
          deps.metrics.latency.observe({ source: outcome.source }, (performance.now() - started) / 1000);
          for (const d of outcome.decisions)
            deps.metrics.events.inc({ channel: d.channel, decision: d.kind });
          for (const s of outcome.skipped ?? [])
            deps.metrics.events.inc({ channel: s.channel, decision: 'skipped' });
          // Ids and kinds only: the reason text masks identities, but the log needs none of it.
          deps.log.info(
            { eventId, source: outcome.source, decisions: outcome.decisions.map((d) => d.kind) },
            'inbound event processed',
          );
          const { source: _source, ...rest } = outcome;
          return rest;
        }
        return outcome;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && TRANSIENT_PG_CODES.has(code) && i < INLINE_RETRIES) continue;
        if (isDatabaseUnavailable(err)) {
          // Not the event's fault and not an attempt: it stays pending and the replay worker takes it again.
          deps.log.warn({ eventId, code }, 'database unavailable; event left pending');
          return { status: 'failed', error: 'database unavailable' };
        }
        const permanent = err instanceof PermanentEventError;
        const message = errorMessage(err);
        let status: Awaited<ReturnType<typeof markFailed>> = 'failed';
        try {
          status = await markFailed(deps.sql, eventId, message, {
            now: deps.clock(),
            maxAttempts: deps.maxAttempts,
            baseDelayMs: deps.retryBaseDelayMs,
            permanent,
          });
        } catch (markErr) {
          // The database is unreachable: the event stays pending and the replay worker picks it up later.
          deps.log.error({ eventId, err: errorMessage(markErr) }, 'cannot record failed attempt');
        }
        // Another worker committed the event meanwhile: answer with its stored decision.
        if (status === 'processed') continue;
        deps.metrics.failures.inc({ source: 'any', outcome: status === 'dead' ? 'dead' : 'retry' });
        // The message is ours (SQL errors, validation text), never payload content.
        deps.log.warn({ eventId, status, err: message }, 'inbound event processing failed');
        return { status: status === 'dead' ? 'dead' : 'failed', error: message };
      }
    }
  }

  return {
    /** Processes the event now. Never throws for a bad event; a database outage surfaces as `failed`. */
    process(eventId: string): Promise<ProcessOutcome> {
      const p = run(eventId);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => {});
      return p;
    },
    /** Resolves when every event being processed now has finished (graceful shutdown). */
    async drain(): Promise<void> {
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type Processor = ReturnType<typeof createProcessor>;
