import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import type { Decision, InboundCommunication } from '../core/communication.js';
import { errorMessage, SwitchboardError } from '../core/errors.js';
import type { Normalize, NormalizeResult, SkippedCommunication } from '../core/normalize.js';
import { lockNames } from '../db/locks.js';
import type { Queryable } from '../db/queryable.js';
import { findIdentities } from '../db/repos/identities.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { applyLeadRules, type LeadRulesDeps, leadRuleLocks } from '../routing/lead-rules.js';
import { createBatcher } from './batcher.js';
import { claimEvents, markFailed, markProcessed, recordSkipped, type StoredEvent } from './inbound-store.js';

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
 * At most this many events per decision transaction. Every attempt at an event is a savepoint that postgres.js
 * never releases (a retry after ROLLBACK TO opens another), so a batch may hold up to DECISION_BATCH ×
 * INLINE_RETRIES subtransactions; past 64 in one transaction PostgreSQL's per-backend subtransaction cache
 * overflows and every snapshot in the cluster then has to read pg_subtrans. 20 × 3 = 60 stays under it.
 */
const DECISION_BATCH = 20;

/**
 * Decision batches in flight at once, each in its own transaction on its own connection: while one waits for
 * PostgreSQL, the next one's JavaScript runs. A batch admits the next only once it holds its people's locks.
 * One: with four, the bench measured no gain on this machine (more CPU per event), batches of one daemon could
 * deadlock on a team's routing row and a shared manager, and a batch failing at commit after admitting the
 * next could let a later event of a person be decided first. With one lane none of that can happen.
 */
const DECISION_LANES = 1;

type Attempt = ProcessOutcome & { source?: string };

interface Prepared {
  event: StoredEvent;
  source: EventSource;
  normalized: Extract<NormalizeResult, { ok: true }>;
}

/**
 * Decides stored inbound events in batches: the events submitted while the previous batch was being decided
 * go together in one transaction (group commit, see createBatcher). The batch is claimed with one statement
 * (FOR UPDATE SKIP LOCKED: an event another worker holds is `busy`), then each event, in submission order,
 * goes through normalize -> lead rules (-> routing) inside a SAVEPOINT of its own: an event that fails rolls
 * back to its savepoint and is recorded as failed, its neighbours commit. All of them are marked processed by
 * one set-based statement, and the batch commits once. A crash anywhere leaves every event of the batch
 * pending and none of its effects. Re-processing an event that already committed returns its stored
 * decision; a message seen before is a `duplicate`. Up to DECISION_LANES batches are in flight; each takes
 * the locks of all its people up front (lockBatch) before the next may start, so the events of one person
 * are decided in the order they arrived; across daemons the same advisory locks serialize the same person.
 */
export function createProcessor(deps: ProcessorDeps) {
  const inFlight = new Set<Promise<unknown>>();

  /** What a claimed event needs before its lead rules: its channel and its communications. */
  async function prepare(event: StoredEvent): Promise<Prepared> {
    if (event.status === 'dead' || event.status === 'rejected')
      throw new PermanentEventError(`event is ${event.status}`);
    const source = deps.sources(event.source);
    if (!source) throw new PermanentEventError(`unknown source "${event.source}"`);
    const normalized = await source.normalize(event.payload, event.raw ?? undefined);
    if (!normalized.ok)
      throw new PermanentEventError(
        `cannot normalize: ${normalized.field ? `${normalized.field}: ` : ''}${normalized.error}`,
      );
    return { event, source, normalized };
  }

  /**
   * Takes, up front and for the whole batch, the locks its lead rules will take event by event: the advisory
   * locks on every message key and identity (one statement, in key order) and the rows of the contacts those
   * identities belong to (in id order). Only then may the next batch start (`admitNext`): any of its events
   * that concerns a person of this batch waits for this batch's commit, so the events of one person are
   * decided in the order they arrived even with several batches in flight.
   */
  async function lockBatch(tx: Queryable, prepared: readonly Prepared[]): Promise<void> {
    const locks = prepared.flatMap((p) =>
      p.normalized.communications.map((c) => leadRuleLocks(c, deps.policy)),
    );
    if (locks.length === 0) return;
    const [, known] = await Promise.all([
      lockNames(
        tx,
        locks.flatMap((l) => l.names),
      ),
      findIdentities(
        tx,
        locks.flatMap((l) => [...l.party.own, ...l.party.hints]),
      ),
    ]);
    const contacts = [...new Set(known.map((r) => r.contactId))];
    if (contacts.length > 0)
      await tx`SELECT id FROM contacts WHERE id = ANY(${contacts}::uuid[]) ORDER BY id FOR NO KEY UPDATE`;
  }

  /** One prepared event, inside its savepoint: throws when it cannot be decided. */
  async function decide(tx: Queryable, { event, source, normalized }: Prepared): Promise<Attempt> {
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
    const skipped = normalized.skipped ?? [];
    if (skipped.length > 0) await recordSkipped(tx, event.id, skipped);
    return {
      status: 'processed',
      decisions: decided.map((d) => d.decision),
      ...(skipped.length > 0 ? { skipped } : {}),
      source: event.source,
    };
  }

  /** One transaction for the batch; throws only when the transaction itself fails. */
  async function decideBatch(ids: readonly string[], admitNext: () => void): Promise<Map<string, Attempt>> {
    return deps.sql.begin(async (tx) => {
      const claimed = await claimEvents(tx, ids);
      const outcomes = new Map<string, Attempt>();
      const processed: { id: string; decisions: Decision[] }[] = [];
      const failed: { id: string; error: string; permanent: boolean }[] = [];
      const fail = (id: string, err: unknown) =>
        failed.push({ id, error: errorMessage(err), permanent: err instanceof PermanentEventError });
      const ready: Prepared[] = [];
      for (const id of ids) {
        const event = claimed.get(id);
        if (!event) outcomes.set(id, { status: 'busy' });
        else if (event.status === 'processed')
          outcomes.set(id, { status: 'processed', decisions: event.decision ?? [] });
        else
          try {
            ready.push(await prepare(event));
          } catch (err) {
            fail(id, err);
          }
      }
      // With one lane the next batch starts after this one commits; with several, a batch of one admits the
      // next once its event is decided (its locks held). Either way no locks are needed up front.
      if (ready.length > 1 && DECISION_LANES > 1) {
        await lockBatch(tx, ready);
        admitNext();
      }
      for (const p of ready) {
        const id = p.event.id;
        for (let i = 1; ; i++) {
          try {
            const outcome = await tx.savepoint((sp) => decide(sp, p));
            if (outcome.status === 'processed') processed.push({ id, decisions: outcome.decisions });
            outcomes.set(id, outcome);
            break;
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code && TRANSIENT_PG_CODES.has(code) && i < INLINE_RETRIES) continue;
            // Not the event's fault: the whole batch stays pending (see settle).
            if (isDatabaseUnavailable(err)) throw err;
            fail(id, err);
            break;
          }
        }
      }
      admitNext();
      await markProcessed(tx, processed, deps.clock());
      for (const f of failed) {
        // The event is locked by this transaction: nobody else can have processed it meanwhile.
        const status = await markFailed(tx, f.id, f.error, {
          now: deps.clock(),
          maxAttempts: deps.maxAttempts,
          baseDelayMs: deps.retryBaseDelayMs,
          permanent: f.permanent,
        });
        outcomes.set(f.id, { status: status === 'dead' ? 'dead' : 'failed', error: f.error });
      }
      return outcomes;
    });
  }

  /** Decides a batch; when its transaction fails outside every savepoint, each event goes again alone. */
  async function settle(ids: readonly string[], admitNext: () => void): Promise<Map<string, Attempt>> {
    try {
      return await decideBatch(ids, admitNext);
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // Not the events' fault and not an attempt: they stay pending and the replay worker takes them again.
        deps.log.warn(
          { events: ids.length, code: (err as { code?: string }).code },
          'database unavailable; events left pending',
        );
        return new Map(ids.map((id) => [id, { status: 'failed', error: 'database unavailable' }]));
      }
      if (ids.length > 1) {
        const outcomes = new Map<string, Attempt>();
        for (const id of ids) for (const [k, v] of await settle([id], admitNext)) outcomes.set(k, v);
        return outcomes;
      }
      const id = ids[0]!;
      const message = errorMessage(err);
      let status: Awaited<ReturnType<typeof markFailed>> = 'failed';
      try {
        status = await markFailed(deps.sql, id, message, {
          now: deps.clock(),
          maxAttempts: deps.maxAttempts,
          baseDelayMs: deps.retryBaseDelayMs,
        });
      } catch (markErr) {
        // The database is unreachable: the event stays pending and the replay worker picks it up later.
        deps.log.error({ eventId: id, err: errorMessage(markErr) }, 'cannot record failed attempt');
      }
      // Another worker committed the event meanwhile: answer with its stored decision.
      if (status === 'processed')
        try {
          return await decideBatch([id], admitNext);
        } catch (readErr) {
          return new Map([[id, { status: 'failed', error: errorMessage(readErr) }]]);
        }
      return new Map([[id, { status: status === 'dead' ? 'dead' : 'failed', error: message }]]);
    }
  }

  const batcher = createBatcher<string, Attempt>({
    maxBatch: DECISION_BATCH,
    lanes: DECISION_LANES,
    async run(ids, admitNext) {
      // process() never rejects: whatever escapes settle leaves the events pending for the replay worker.
      const outcomes = await settle([...new Set(ids)], admitNext).catch((err: unknown) => {
        deps.log.error({ events: ids.length, err: errorMessage(err) }, 'decision batch failed');
        return new Map<string, Attempt>();
      });
      return ids.map((id) => ({
        ok: true as const,
        value: outcomes.get(id) ?? { status: 'failed' as const, error: 'the decision batch failed' },
      }));
    },
  });

  async function run(eventId: string): Promise<ProcessOutcome> {
    const started = performance.now();
    const outcome = await batcher.submit(eventId);
    if (outcome.status === 'processed' && outcome.source) {
      deps.outbox?.kick();
      deps.metrics.latency.observe({ source: outcome.source }, (performance.now() - started) / 1000);
      for (const d of outcome.decisions) deps.metrics.events.inc({ channel: d.channel, decision: d.kind });
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
    if (outcome.status === 'failed' || outcome.status === 'dead') {
      if (outcome.error !== 'database unavailable') {
        deps.metrics.failures.inc({ source: 'any', outcome: outcome.status === 'dead' ? 'dead' : 'retry' });
        // The message is ours (SQL errors, validation text), never payload content.
        deps.log.warn(
          { eventId, status: outcome.status, err: outcome.error },
          'inbound event processing failed',
        );
      }
    }
    return outcome;
  }

  return {
    /**
     * Decides the event in the next batch and resolves with its outcome. Never throws for a bad event; a
     * database outage surfaces as `failed`.
     */
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
