import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import type { Decision, InboundCommunication } from '../core/communication.js';
import { errorMessage, SwitchboardError } from '../core/errors.js';
import type { Normalize, SkippedCommunication } from '../core/normalize.js';
import { useKeyLookupPlans } from '../db/key-lookup-plans.js';
import type { Queryable } from '../db/queryable.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { outsideRequest, requestContext } from '../observability/request-context.js';
import { decideBatch, type LeadRulesDeps } from '../routing/lead-rules.js';
import { createBatcher } from './batcher.js';
import {
  auditSkipped,
  type ClaimedEvent,
  claimEvents,
  type DecidedInsert,
  type EventContent,
  markFailed,
  markProcessed,
  type NewInboundRow,
  readEvents,
  recordSkipped,
  storeEach,
  storeInboundEvents,
} from './inbound-store.js';

export type ProcessOutcome =
  | { status: 'processed'; decisions: Decision[]; skipped?: SkippedCommunication[] }
  /** Another worker holds the event right now; it will finish it. */
  | { status: 'busy' }
  | { status: 'failed' | 'dead'; error: string };

/** A communication of a decision batch as a channel's decision hook sees it. */
export interface DecidedCommunication {
  source: string;
  comm: InboundCommunication;
  /** Absent for a communication its source keeps out of the lead rules (NormalizeResult.recordOnly). */
  decision?: Decision;
}

/**
 * Work a channel family adds to the decisions of a batch, inside their transaction (telephony: the calls rows,
 * the recordings to copy, the leads' call-back marks). Called once per batch with the batch's communications
 * of the channels that share the hook, in the order of their events; never with duplicates, nor with an event
 * that could not be decided. Set-based: a few statements for the whole batch, not one per communication.
 *
 * It must issue every statement before it first awaits anything (a query is sent when it is awaited or
 * `.execute()`d): the processor awaits the hooks together with the outbox, in one round trip, and the COMMIT
 * follows right behind. What it resolves with is not used; what it throws (in SQL or in JavaScript) fails
 * the batch, whose events are then decided one by one, so that only the guilty one fails.
 */
export type AfterDecision = (tx: Queryable, decided: readonly DecidedCommunication[]) => Promise<void>;

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
  /** The decision batches' watchdog (default DECISION_TIMEOUT_MS); tests shorten it. */
  timeoutMs?: number;
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
/**
 * At most this many events per decision transaction. Larger batches cost less per event and hold their
 * locks (the people's, their teams' round-robin rows) longer. At 64 requests in flight, batches of 32 were
 * always full (pg_stat_statements: 30.6 events per batch); 64 took the closed loop from ~1,000 to ~1,130
 * events/s and CPU per event from 1.47 to 1.27 ms, and a batch of 64 still takes tens of milliseconds
 * (docs/benchmarks.md, «Issue 18: batch size, call hooks and a fresh installation's plan»).
 */
export const DECISION_BATCH = 64;
/**
 * Server-side bound on every statement of a decision transaction, its lock waits included (a decision statement
 * takes milliseconds): a peer that holds a person's or a team's lock and hangs costs a batch an error and a retry,
 * not a stall. It does not end a statement the driver left half-sent after a reconnect (postgres.js can stop
 * after Parse/Describe/Flush; PostgreSQL ignores its timeouts while it waits for the client's next message, as
 * a raw-protocol check showed): that case is the watchdog's below.
 */
const STATEMENT_TIMEOUT = '5s';
/**
 * A batch that has not finished in this time is given up by the daemon: its events answer `failed` (they
 * are stored, and the replay worker decides them later) and the next batch starts, so nothing the database
 * or the network does can stall every later request. The abandoned transaction keeps its connection until the
 * server or the socket ends it (a restart does).
 */
const DECISION_TIMEOUT_MS = 10_000;

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

/** How an event of a batch ended: its outcome, or (a payload the batch was to store) why it is not stored. */
type Settled = ProcessOutcome | { status: 'unstored'; error: unknown };

/** An event of the batch that could not be decided: recorded (retry later, or dead) once the batch commits. */
interface Unfinished {
  id: string;
  error: unknown;
}

/** What one attempt at a batch ended with: outcomes of the events it finished, and those it could not. */
interface Attempt {
  outcomes: Map<string, ProcessOutcome & { source?: string }>;
  unfinished: Unfinished[];
}

/**
 * Decides stored inbound events, in batches: the events submitted while the previous batch is in flight are
 * decided together, in submission order, in one transaction — one claim, the lead rules for the whole batch
 * (src/routing/lead-rules.ts, set-based), the channels' decision hooks, the outbox, one markProcessed, one
 * commit — so a crash anywhere leaves every event of the batch pending and its effects absent. An event that
 * cannot be decided (its payload does not normalize, a rule throws) is dropped from the batch alone and
 * recorded as failed after the commit; a statement that fails takes the transaction with it, and then the
 * batch's events are decided again one by one, in order, so only the guilty one fails. Re-processing an event
 * that already committed returns its stored decision; a message seen before is a `duplicate`.
 *
 * One batch is in flight at a time: events of one person are decided in the order they were submitted.
 * Several daemons decide concurrently; the lead rules' locks (people, then teams, each in key order) keep
 * them consistent and free of deadlocks between batches.
 */
export function createProcessor(deps: ProcessorDeps) {
  /** An event made ready to decide before its transaction: normalized, or what stopped it. */
  type Prepared =
    | {
        id: string;
        source: string;
        channel: EventSource;
        comms: InboundCommunication[];
        recordOnly: InboundCommunication[];
        skipped: SkippedCommunication[];
      }
    | { id: string; error: unknown };

  async function prepare(id: string, content: EventContent | undefined): Promise<Prepared | undefined> {
    if (!content) return undefined; // No such event: the claim finds none either.
    try {
      const channel = deps.sources(content.source);
      if (!channel) throw new PermanentEventError(`unknown source "${content.source}"`);
      const normalized = await channel.normalize(content.payload, content.raw ?? undefined);
      if (!normalized.ok)
        throw new PermanentEventError(
          `cannot normalize: ${normalized.field ? `${normalized.field}: ` : ''}${normalized.error}`,
        );
      return {
        id,
        source: content.source,
        channel,
        comms: normalized.communications.map((c) => clampToReceived(c, content.receivedAt)),
        recordOnly: (normalized.recordOnly ?? []).map((c) => clampToReceived(c, content.receivedAt)),
        skipped: normalized.skipped ?? [],
      };
    } catch (error) {
      return { id, error };
    }
  }

  async function attempt(
    ids: readonly string[],
    known: ReadonlyMap<string, EventContent>,
    /** Payloads not stored yet (storeAndProcess): stored by this transaction, ahead of their decisions. */
    rows: ReadonlyMap<string, NewInboundRow>,
  ): Promise<Attempt> {
    // Normalized before the transaction, from memory for the events this daemon has just stored and from
    // the table for the others (the replay worker's): the claim then rides in the lead rules' first round
    // trip, and only the events it gives us are decided.
    const read = await readEvents(
      deps.sql,
      ids.filter((id) => !known.has(id)),
    );
    const prepared = await Promise.all(ids.map((id) => prepare(id, known.get(id) ?? read.get(id))));
    const todo = prepared.filter(
      (p): p is Extract<Prepared, { comms: unknown }> => p !== undefined && 'comms' in p,
    );
    return deps.sql.begin(async (tx) => {
      // Every statement of a decision reads or writes rows by key: generic plans, restricted to key lookups
      // (src/db/key-lookup-plans.ts), spare re-planning each of them at every execution. Issued first, so
      // that the claim pipelined behind it runs under them.
      const settings = useKeyLookupPlans(tx, { statementTimeout: STATEMENT_TIMEOUT });
      // The payloads this transaction stores (`rows`) are its own until it commits: no one else can claim
      // them, and they need no claim. They are inserted last, already decided, and commit with their
      // decisions or not at all (see `decide`).
      const toClaim = rows.size > 0 ? ids.filter((id) => !rows.has(id)) : ids;
      const claim = Promise.all([
        settings,
        toClaim.length > 0 ? claimEvents(tx, toClaim) : new Map<string, ClaimedEvent>(),
      ]).then(([, claimed]) => {
        for (const id of rows.keys()) claimed.set(id, { id, status: 'received', decision: null });
        return claimed;
      });
      const fresh = (claimed: Map<string, ClaimedEvent>, id: string) => {
        const status = claimed.get(id)?.status;
        return status === 'received' || status === 'failed';
      };
      const decided = await decideBatch(
        tx,
        todo.map((t) => ({ comms: t.comms, inboundEventId: t.id })),
        deps,
        { admit: claim.then((claimed) => todo.map((t) => fresh(claimed, t.id))) },
      );
      const claimed = await claim;
      const outcomes: Attempt['outcomes'] = new Map();
      const unfinished: Unfinished[] = [];
      for (const [i, id] of ids.entries()) {
        const event = claimed.get(id);
        if (!event) outcomes.set(id, { status: 'busy' });
        else if (event.status === 'processed')
          outcomes.set(id, { status: 'processed', decisions: event.decision ?? [] });
        else if (event.status === 'dead' || event.status === 'rejected')
          unfinished.push({ id, error: new PermanentEventError(`event is ${event.status}`) });
        else {
          const p = prepared[i];
          // Stored after we read (cannot happen for an id we were given after its commit): next attempt.
          if (!p) unfinished.push({ id, error: new Error('event was not readable before its claim') });
          else if ('error' in p) unfinished.push({ id, error: p.error });
        }
      }
      const done: { id: string; decisions: Decision[] }[] = [];
      const decidedRows = new Map<string, DecidedInsert>();
      const forOutbox: { comm: InboundCommunication; decision: Decision }[] = [];
      // A channel's own rows (telephony: the calls, their recordings) reference what the rules just wrote.
      // Each hook is called once, with its channels' communications in the order of the events (several
      // channels may share one: telephony's), and the hooks are awaited together with the outbox: one round
      // trip for all of them. Awaited, so that whatever a hook throws fails the batch before anything commits.
      const forHooks = new Map<AfterDecision, DecidedCommunication[]>();
      for (const [i, t] of todo.entries()) {
        const outcome = decided[i]!;
        if (!outcome.ok) {
          if ('error' in outcome) unfinished.push({ id: t.id, error: outcome.error });
          continue;
        }
        const { decisions } = outcome;
        const hook = t.channel.afterDecision;
        if (hook) {
          let list = forHooks.get(hook);
          if (!list) {
            list = [];
            forHooks.set(hook, list);
          }
          for (const [j, comm] of t.comms.entries())
            if (decisions[j]!.kind !== 'duplicate')
              list.push({ source: t.source, comm, decision: decisions[j]! });
          for (const comm of t.recordOnly) list.push({ source: t.source, comm });
        }
        for (const [j, comm] of t.comms.entries()) forOutbox.push({ comm, decision: decisions[j]! });
        if (rows.has(t.id)) {
          decidedRows.set(t.id, { decisions, ...(t.skipped.length > 0 ? { skipped: t.skipped } : {}) });
          if (t.skipped.length > 0) await auditSkipped(tx, t.id, t.skipped);
        } else {
          if (t.skipped.length > 0) await recordSkipped(tx, t.id, t.skipped);
          done.push({ id: t.id, decisions });
        }
        outcomes.set(t.id, {
          status: 'processed',
          decisions,
          ...(t.skipped.length > 0 ? { skipped: t.skipped } : {}),
          source: t.source,
        });
      }
      const hooks = [...forHooks].map(([hook, list]) => {
        if (list.length === 0) return undefined;
        try {
          return hook(tx, list);
        } catch (err) {
          return Promise.reject(err); // Thrown before it returned a promise: the same as rejecting.
        }
      });
      // Outbox (lead.created, message.created…): committed with the decisions or not at all. A failure fails the
      // batch at once; what the others issue later (the outbox writes after a read of its own) comes after the
      // ROLLBACK, and the driver refuses it (TRANSACTION_ENDED, patches/postgres+3.4.9.patch).
      await Promise.all([...hooks, deps.outbox?.record(tx, forOutbox)]);
      // The last statements ride with the COMMIT in one round trip: they are issued and not awaited, so the
      // driver sends COMMIT right behind them. Should one fail, the server ends the transaction with a
      // rollback and the transaction rejects with the first error (patches/postgres+3.4.9.patch), as for any
      // statement. This transaction's payloads are inserted here, those it decided already `processed`: one
      // version of each row, where an INSERT `received` and an UPDATE made two. The message and merge
      // suggestion rows written above point at them; those references are checked at COMMIT (migration 023).
      const now = deps.clock();
      if (rows.size > 0)
        storeInboundEvents(tx, [...rows.values()], { byId: decidedRows, at: now }).catch(() => {});
      markProcessed(tx, done, now).catch(() => {});
      return { outcomes, unfinished };
    });
  }

  /** Records a failed attempt at one event; undefined when another worker committed it meanwhile. */
  async function recordFailure(
    id: string,
    err: unknown,
    requestId: string | undefined,
  ): Promise<ProcessOutcome | undefined> {
    const permanent = err instanceof PermanentEventError;
    const message = errorMessage(err);
    let status: Awaited<ReturnType<typeof markFailed>> = 'failed';
    try {
      status = await markFailed(deps.sql, id, message, {
        now: deps.clock(),
        maxAttempts: deps.maxAttempts,
        baseDelayMs: deps.retryBaseDelayMs,
        permanent,
      });
    } catch (markErr) {
      // The database is unreachable: the event stays pending and the replay worker picks it up later.
      deps.log.error({ requestId, eventId: id, err: errorMessage(markErr) }, 'cannot record failed attempt');
    }
    if (status === 'processed') return undefined;
    deps.metrics.failures.inc({ source: 'any', outcome: status === 'dead' ? 'dead' : 'retry' });
    // The message is ours (SQL errors, validation text), never payload content.
    deps.log.warn({ requestId, eventId: id, status, err: message }, 'inbound event processing failed');
    return { status: status === 'dead' ? 'dead' : 'failed', error: message };
  }

  /**
   * Decides `ids` (distinct, in submission order); never throws. The events of `rows` are stored by the first
   * attempt's transaction, with their decisions; should that attempt fail, they are stored on their own before
   * anything else is tried, and one that cannot be stored settles `unstored` (its sender must send it again).
   */
  async function decide(
    ids: readonly string[],
    known: ReadonlyMap<string, EventContent>,
    /** The request that submitted each event, if one did: named on the event's log lines. */
    requests: ReadonlyMap<string, string>,
    started: number,
    signal?: AbortSignal,
    rows: ReadonlyMap<string, NewInboundRow> = new Map(),
  ): Promise<Map<string, Settled>> {
    // A batch the watchdog gave up on does no further work: its callers were answered, the replay worker
    // decides its events later, in order, and the next batch is already running.
    const givenUp = () =>
      new Map(ids.map((id) => [id, { status: 'failed' as const, error: 'batch given up' }]));
    for (let i = 1; ; i++) {
      if (signal?.aborted) return givenUp();
      let result: Attempt;
      try {
        result = await attempt(ids, known, rows);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && TRANSIENT_PG_CODES.has(code) && i < INLINE_RETRIES) continue;
        if (rows.size > 0) {
          // Their payloads went with the rollback, and no sender has been answered yet: stored now, on their
          // own, the events go on as stored ones do. When the database is away, storing would only wait out
          // the connect timeout again: those senders are told to send again (503), as the intake tells them.
          const unavailable = isDatabaseUnavailable(err);
          if (unavailable)
            deps.log.warn(
              { events: ids.length, code },
              'database unavailable; payloads not stored (their senders are told to resend)',
            );
          const list = [...rows.values()];
          const results =
            unavailable || signal?.aborted
              ? list.map(() => ({ ok: false as const, error: err }))
              : await storeEach(deps.sql, list, () => signal?.aborted ?? false);
          const settled = new Map<string, Settled>();
          for (const [j, row] of list.entries()) {
            const r = results[j]!;
            if (r.ok) stored(row.id);
            else settled.set(row.id, { status: 'unstored', error: r.error });
          }
          const left = ids.filter((id) => !settled.has(id));
          if (unavailable) {
            for (const id of left) settled.set(id, { status: 'failed', error: 'database unavailable' });
          } else if (settled.size > 0) {
            // A payload the database refused took the batch down: the others, now stored, go as a batch.
            for (const [k, v] of await decide(left, known, requests, started, signal)) settled.set(k, v);
          } else {
            // A statement of the decisions failed: each event alone, in order, finds the guilty one.
            for (const id of left)
              for (const [k, v] of await decide([id], known, requests, started, signal)) settled.set(k, v);
          }
          return settled;
        }
        if (isDatabaseUnavailable(err)) {
          // Not the events' fault and not an attempt: they stay pending and the replay worker takes them again.
          deps.log.warn({ events: ids.length, code }, 'database unavailable; events left pending');
          return new Map(ids.map((id) => [id, { status: 'failed', error: 'database unavailable' }]));
        }
        if (ids.length > 1) {
          // A statement failed and took the batch with it: each event alone, in order, finds the guilty one.
          const alone = new Map<string, Settled>();
          for (const id of ids)
            for (const [k, v] of await decide([id], known, requests, started, signal)) alone.set(k, v);
          return alone;
        }
        if (signal?.aborted) return givenUp();
        const failed = await recordFailure(ids[0]!, err, requests.get(ids[0]!));
        if (failed) return new Map([[ids[0]!, failed]]);
        continue; // Another worker committed it meanwhile: answer with its stored decision.
      }
      for (const id of rows.keys()) stored(id);
      deps.outbox?.kick();
      const outcomes = new Map<string, Settled>();
      for (const [id, { source, ...outcome }] of result.outcomes) {
        outcomes.set(id, outcome);
        if (outcome.status !== 'processed' || !source) continue;
        deps.metrics.latency.observe({ source }, (performance.now() - started) / 1000);
        for (const d of outcome.decisions) deps.metrics.events.inc({ channel: d.channel, decision: d.kind });
        for (const s of outcome.skipped ?? [])
          deps.metrics.events.inc({ channel: s.channel, decision: 'skipped' });
        // Ids and kinds only: the reason text masks identities, but the log needs none of it.
        deps.log.info(
          {
            requestId: requests.get(id),
            eventId: id,
            source,
            decisions: outcome.decisions.map((d) => d.kind),
          },
          'inbound event processed',
        );
      }
      for (const u of result.unfinished) {
        const failed = await recordFailure(u.id, u.error, requests.get(u.id));
        if (failed) outcomes.set(u.id, failed);
        else for (const [k, v] of await decide([u.id], known, requests, started, signal)) outcomes.set(k, v);
      }
      return outcomes;
    }
  }

  /**
   * The payloads of storeAndProcess whose senders are still waiting, and whether each is committed yet. The
   * watchdog may give a batch up after its payloads committed (the work after a commit: recording a failed
   * neighbour, deciding a failed batch's events one by one): those senders must hear "stored", not "send again".
   */
  const awaited = new Map<string, boolean>();
  const stored = (id: string) => {
    if (awaited.has(id)) awaited.set(id, true);
  };
  /** The answer for a stored event whose batch failed as a whole (given up, the database away). */
  const leftPending = (eventId: string, err: unknown): ProcessOutcome => {
    deps.log.warn({ eventId, err: errorMessage(err) }, 'decision batch given up; event left pending');
    return { status: 'failed', error: 'database unavailable' };
  };
  type Item = { id: string; content?: EventContent; requestId?: string; row?: NewInboundRow };
  const batcher = createBatcher<Item, ProcessOutcome>({
    maxBatch: DECISION_BATCH,
    timeoutMs: deps.timeoutMs ?? DECISION_TIMEOUT_MS,
    async run(items, { signal }) {
      const started = performance.now();
      deps.metrics.decisionBatch.observe(items.length);
      const known = new Map<string, EventContent>();
      const requests = new Map<string, string>();
      const rows = new Map<string, NewInboundRow>();
      for (const { id, content, requestId, row } of items) {
        if (content) known.set(id, content);
        if (requestId && !requests.has(id)) requests.set(id, requestId);
        if (row) rows.set(id, row);
      }
      // The batch is the work of several requests: its log lines name each event's own (`requests`), never
      // the one whose submission happened to start the batch.
      const ids = [...new Set(items.map((i) => i.id))];
      const outcomes = await outsideRequest(() => decide(ids, known, requests, started, signal, rows));
      return items.map(({ id }) => {
        const outcome = outcomes.get(id)!;
        return outcome.status === 'unstored'
          ? { ok: false as const, error: outcome.error }
          : { ok: true as const, value: outcome };
      });
    },
  });

  return {
    /**
     * Decides the event with the others submitted meanwhile. Never throws for a bad event; a database outage
     * (or a batch given up on) surfaces as `failed`, the event staying stored for the replay worker.
     * `content`: the event as it was stored, when the caller has it at hand (the intake that stored it), which
     * spares reading it back; it must be exactly what the row holds.
     */
    process(eventId: string, content?: EventContent): Promise<ProcessOutcome> {
      const { requestId } = requestContext();
      const item = { id: eventId, ...(content ? { content } : {}), ...(requestId ? { requestId } : {}) };
      return batcher.submit(item).catch((err: unknown) => leftPending(eventId, err));
    },
    /**
     * Stores a payload and decides it in one transaction, with the others submitted meanwhile: one commit for
     * the batch's payloads and decisions together, where `intake.accept` and then `process` make two. The
     * promise resolves after that commit, or after the payload was stored on its own when the decision
     * failed (then `failed`, and the replay worker decides it later). It rejects when the payload is not
     * known to be stored: the database is away or refused the row, or the batch was given up before its
     * commit (BatchTimeoutError; given up after it, the answer is `failed`). The sender must then be told to
     * send it again. A batch given up, or a COMMIT whose answer was lost, may still have committed: a payload
     * sent again is then a second event, decided as rule 1's `duplicate`, as with the intake's group commit.
     */
    async storeAndProcess(row: NewInboundRow, content: EventContent): Promise<ProcessOutcome> {
      const { requestId } = requestContext();
      awaited.set(row.id, false);
      try {
        return await batcher.submit({ id: row.id, content, row, ...(requestId ? { requestId } : {}) });
      } catch (err) {
        if (!awaited.get(row.id)) throw err;
        // Given up after its payload committed: stored, and decided already or by the replay worker.
        return leftPending(row.id, err);
      } finally {
        awaited.delete(row.id);
      }
    },
    /** Resolves when every event submitted so far has been decided (graceful shutdown). */
    drain(): Promise<void> {
      return batcher.drain();
    },
  };
}

export type Processor = ReturnType<typeof createProcessor>;
