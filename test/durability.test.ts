import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Normalize, SkippedCommunication } from '../src/core/normalize.js';
import { upsertConversations } from '../src/db/repos/conversations.js';
import { isDatabaseUnavailable } from '../src/db/unavailable.js';
import { createIdentityPolicy } from '../src/identity/identity.js';
import { BatchTimeoutError } from '../src/ingest/batcher.js';
import { markFailed, storeInboundEvent } from '../src/ingest/inbound-store.js';
import {
  type AfterDecision,
  createProcessor,
  type DecidedCommunication,
  type DecisionOutbox,
} from '../src/ingest/processor.js';
import { createReplayer } from '../src/ingest/replayer.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';
import type { Router } from '../src/routing/router.js';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

describe.each(backends())('durability on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  /** A processor on the test channels; with `afterDecision`, that hook replaces every channel's own. */
  const processorWith = (
    router: Router,
    afterDecision?: AfterDecision,
    more: {
      outbox?: DecisionOutbox;
      /** The decision batches' watchdog, when a test needs it short. */
      timeoutMs?: number;
      /** Wraps every source's normalize (what a source keeps out of the rules, say). */
      normalize?: (normalize: Normalize) => Normalize;
    } = {},
  ) => {
    const { outbox, timeoutMs, normalize } = more;
    return createProcessor({
      ...(outbox ? { outbox } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
      sql: ctx.db.sql,
      clock: ctx.clock.clock,
      log: silentLogger,
      metrics: createMetrics(),
      policy: createIdentityPolicy({}),
      router,
      maxAttempts: 3,
      retryBaseDelayMs: 1000,
      sources:
        afterDecision || normalize
          ? (name) => {
              const source = ctx.source(name);
              return (
                source && {
                  ...source,
                  ...(normalize ? { normalize: normalize(source.normalize) } : {}),
                  ...(afterDecision ? { afterDecision } : {}),
                }
              );
            }
          : ctx.source,
    });
  };
  /** A communication of the hook's batch comes from this (national) phone number. */
  const from = (decided: Parameters<AfterDecision>[1], phone: string) =>
    decided.some(({ comm }) => comm.party.identities.some((i) => i.value.includes(phone)));
  /** A router that fails at the first lead it routes (after its reads, like a backend going away). */
  const failingRouter = (message: string): Router => ({
    prepare: async () => ({
      route: () => {
        throw new Error(message);
      },
      checkpoint: () => () => {},
      flush: async () => {},
    }),
  });
  const replayerWith = (processor: ReturnType<typeof createProcessor>) =>
    createReplayer({
      sql: ctx.db.sql,
      processor,
      clock: ctx.clock.clock,
      log: silentLogger,
      metrics: createMetrics(),
      intervalMs: 60_000,
      graceMs: 30_000,
    });
  const counts = async (phone: string) => {
    const [row] = await ctx.db.sql<{ contacts: number; leads: number; messages: number }[]>`
      SELECT (SELECT count(*) FROM identities WHERE value = ${`+7${phone}`})::int AS contacts,
             (SELECT count(*) FROM leads l JOIN identities i ON i.contact_id = l.contact_id WHERE i.value = ${`+7${phone}`})::int AS leads,
             (SELECT count(*) FROM messages m JOIN identities i ON i.contact_id = m.contact_id WHERE i.value = ${`+7${phone}`})::int AS messages`;
    return row!;
  };

  it('an event stored before a crash is processed at the next start, exactly once', async () => {
    const phone = freshPhone();
    // The daemon stored the payload and died before deciding.
    const id = await storeInboundEvent(ctx.db.sql, {
      source: 'api',
      payload: inboundBody({ from: { phones: [phone] } }),
    });
    expect(await counts(phone)).toEqual({ contacts: 0, leads: 0, messages: 0 });

    const replayer = replayerWith(ctx.processor);
    expect(await replayer.runOnce(0)).toBeGreaterThanOrEqual(1);
    const [event] = await ctx.db.sql`SELECT status, attempts, decision FROM inbound_events WHERE id = ${id}`;
    expect(event).toMatchObject({ status: 'processed', attempts: 1 });
    expect(event!.decision[0].kind).toBe('new_lead');
    // A second pass (another restart) finds nothing to do and changes nothing.
    await replayer.runOnce(0);
    expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
    // Processing it again returns the stored decision.
    const again = await ctx.processor.process(id);
    expect(again).toMatchObject({ status: 'processed', decisions: [{ kind: 'new_lead' }] });
    expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
  });

  it('a failure mid-decision rolls everything back and leaves the event retryable with its error', async () => {
    const phone = freshPhone();
    const broken = processorWith(failingRouter('routing backend unavailable'));
    const id = await storeInboundEvent(ctx.db.sql, {
      source: 'api',
      payload: inboundBody({ from: { phones: [phone] } }),
    });
    const outcome = await broken.process(id);
    expect(outcome).toEqual({ status: 'failed', error: 'routing backend unavailable' });
    // Nothing of the half-made decision survived: no contact, identity, lead or message.
    expect(await counts(phone)).toEqual({ contacts: 0, leads: 0, messages: 0 });
    const [event] = await ctx.db
      .sql`SELECT status, attempts, last_error, next_attempt_at FROM inbound_events WHERE id = ${id}`;
    expect(event).toMatchObject({ status: 'failed', attempts: 1, lastError: 'routing backend unavailable' });
    expect(event!.nextAttemptAt.getTime()).toBeGreaterThan(ctx.clock.clock().getTime());

    // Not due yet: the replayer leaves it alone.
    const healthy = processorWith(
      createPipeline({
        sql: ctx.db.sql,
        config: ctx.config,
        clock: ctx.clock.clock,
        log: silentLogger,
        metrics: createMetrics(),
      }).router,
    );
    await replayerWith(healthy).runOnce();
    expect(await counts(phone)).toEqual({ contacts: 0, leads: 0, messages: 0 });
    // After the backoff, the fixed daemon processes it once.
    ctx.clock.advance(60_000);
    await replayerWith(healthy).runOnce();
    expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
    const [done] = await ctx.db.sql`SELECT status, attempts, last_error FROM inbound_events WHERE id = ${id}`;
    expect(done).toMatchObject({ status: 'processed', attempts: 2, lastError: null });
  });

  it('gives up after maxAttempts: the event is dead, visible through the API, and can be retried by hand', async () => {
    const phone = freshPhone();
    const broken = processorWith(failingRouter('still broken'));
    const id = await storeInboundEvent(ctx.db.sql, {
      source: 'api',
      payload: inboundBody({ from: { phones: [phone] } }),
    });
    for (let i = 0; i < 3; i++) await broken.process(id);
    const dead = await ctx.request('GET', '/api/v1/inbound-events?status=dead');
    expect(dead.body.events.map((e: { id: string }) => e.id)).toContain(id);
    const retried = await ctx.request('POST', `/api/v1/inbound-events/${id}/retry`);
    expect(retried.body).toMatchObject({ status: 'processed', decisions: [{ kind: 'new_lead' }] });
    expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
  });

  it('a stored payload that cannot be normalized is dead at once with the reason, not retried forever', async () => {
    const id = await storeInboundEvent(ctx.db.sql, { source: 'api', payload: { channel: 'fax' } });
    const outcome = await ctx.processor.process(id);
    expect(outcome.status).toBe('dead');
    const [event] = await ctx.db.sql`SELECT status, last_error FROM inbound_events WHERE id = ${id}`;
    expect(event!.lastError).toMatch(/cannot normalize: channel/);
  });

  it('a duplicate delivered after a crash-replay is still a duplicate', async () => {
    const body = inboundBody({ from: { phones: [freshPhone()] } });
    await storeInboundEvent(ctx.db.sql, { source: 'api', payload: body });
    await replayerWith(ctx.processor).runOnce(0);
    const res = await ctx.request('POST', '/api/v1/inbound', body);
    expect(res.body.decision.kind).toBe('duplicate');
  });

  it('a late failure report never turns an event another worker processed back into failed', async () => {
    const id = await storeInboundEvent(ctx.db.sql, {
      source: 'api',
      payload: inboundBody({ from: { phones: [freshPhone()] } }),
    });
    expect((await ctx.processor.process(id)).status).toBe('processed');
    const status = await markFailed(ctx.db.sql, id, 'connection reset', {
      now: ctx.clock.clock(),
      maxAttempts: 3,
      baseDelayMs: 1000,
    });
    expect(status).toBe('processed');
    const [event] = await ctx.db.sql`SELECT status, last_error FROM inbound_events WHERE id = ${id}`;
    expect(event).toMatchObject({ status: 'processed', lastError: null });
  });

  const healthyRouter = () =>
    createPipeline({
      sql: ctx.db.sql,
      config: ctx.config,
      clock: ctx.clock.clock,
      log: silentLogger,
      metrics: createMetrics(),
    }).router;
  /** A healthy router whose routing fails for one sender only, after the batch decided his contact. */
  const routerFailingFor = (phone: string): Router => {
    const healthy = healthyRouter();
    return {
      prepare: async (tx, inputs) => {
        const prepared = await healthy.prepare(tx, inputs);
        return {
          ...prepared,
          route: (input) => {
            if (input.identities?.some((i) => i.value === `+7${phone}`)) throw new Error('routing failed');
            return prepared.route(input);
          },
        };
      },
    };
  };
  const store = (phone: string, payload: Record<string, unknown> = {}) =>
    storeInboundEvent(ctx.db.sql, {
      source: 'api',
      payload: inboundBody({ from: { phones: [phone] }, ...payload }),
    });

  it('events submitted together are decided in one transaction, in order; a failing one is dropped alone', async () => {
    const healthy = healthyRouter();
    const [first, second, broken, other] = [freshPhone(), freshPhone(), freshPhone(), freshPhone()];
    // Routing fails for one sender only, after its contact and identities were decided in the batch.
    const processor = processorWith(routerFailingFor(broken));
    const ids = [
      await store(first),
      await store(broken),
      // The same person twice: the second is decided after the first, so it joins the first one's lead.
      await store(second),
      await store(second, { text: 'и ещё вопрос' }),
      await store(other),
      await ctx.db.sql<{ id: string }[]>`
        INSERT INTO inbound_events (source, payload) VALUES ('api', ${ctx.db.sql.json({ channel: 'fax' })})
        RETURNING id`.then((r) => r[0]!.id),
    ];
    const outcomes = await Promise.all(ids.map((id) => processor.process(id)));
    const kinds = outcomes.map((o) => (o.status === 'processed' ? o.decisions[0]!.kind : o.status));
    expect(kinds).toEqual(['new_lead', 'failed', 'new_lead', 'attached_to_lead', 'new_lead', 'dead']);
    // One commit for the batch: every decided event's row carries the same transaction id.
    const decided = [ids[0]!, ids[2]!, ids[3]!, ids[4]!];
    const [commits] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM inbound_events WHERE id = ANY(${decided}::uuid[])`;
    expect(commits!.n).toBe(1);
    // The failed event left nothing behind; its neighbours are whole.
    expect(await counts(broken)).toEqual({ contacts: 0, leads: 0, messages: 0 });
    expect(await counts(first)).toEqual({ contacts: 1, leads: 1, messages: 1 });
    expect(await counts(second)).toEqual({ contacts: 1, leads: 1, messages: 2 });
    expect(await counts(other)).toEqual({ contacts: 1, leads: 1, messages: 1 });
    const [failed] = await ctx.db
      .sql`SELECT status, attempts, last_error FROM inbound_events WHERE id = ${ids[1]!}`;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastError: 'routing failed' });
    // The failed event is decided by the next attempt as if the batch had never seen it.
    ctx.clock.advance(60_000);
    const retried = await processorWith(healthy).process(ids[1]!);
    expect(retried).toMatchObject({ status: 'processed', decisions: [{ kind: 'new_lead' }] });
    expect(await counts(broken)).toEqual({ contacts: 1, leads: 1, messages: 1 });
  });

  it('a statement that fails takes the batch down; its events are then decided one by one and only the guilty one fails', async () => {
    const [a, guilty, b] = [freshPhone(), freshPhone(), freshPhone()];
    // A channel hook whose SQL fails for one sender: the whole transaction is aborted by it.
    const processor = processorWith(healthyRouter(), async (tx, decided) => {
      if (from(decided, guilty)) await tx`SELECT 1 / 0`;
    });
    const ids = [await store(a), await store(guilty), await store(b)];
    const outcomes = await Promise.all(ids.map((id) => processor.process(id)));
    expect(outcomes.map((o) => o.status)).toEqual(['processed', 'failed', 'processed']);
    expect(outcomes[1]).toMatchObject({ error: expect.stringMatching(/division by zero/) });
    expect(await counts(a)).toEqual({ contacts: 1, leads: 1, messages: 1 });
    expect(await counts(guilty)).toEqual({ contacts: 0, leads: 0, messages: 0 });
    expect(await counts(b)).toEqual({ contacts: 1, leads: 1, messages: 1 });
  });

  it('a channel hook that throws after its statements fails its event alone; nothing of it commits', async () => {
    const [a, guilty, b] = [freshPhone(), freshPhone(), freshPhone()];
    // The hooks of a batch are awaited together: an exception thrown in JavaScript once the hook's statement
    // has run, with nothing in SQL to fail the transaction, must still keep the batch from committing.
    const processor = processorWith(healthyRouter(), async (tx, decided) => {
      await tx`SELECT 1`;
      if (from(decided, guilty)) throw new Error('the hook refused');
    });
    const ids = [await store(a), await store(guilty), await store(b)];
    const outcomes = await Promise.all(ids.map((id) => processor.process(id)));
    expect(outcomes.map((o) => o.status)).toEqual(['processed', 'failed', 'processed']);
    expect(outcomes[1]).toMatchObject({ error: 'the hook refused' });
    expect(await counts(a)).toEqual({ contacts: 1, leads: 1, messages: 1 });
    expect(await counts(guilty)).toEqual({ contacts: 0, leads: 0, messages: 0 });
    expect(await counts(b)).toEqual({ contacts: 1, leads: 1, messages: 1 });
  });

  it("a hook that throws before it issued anything fails the batch, and the outbox's later write with it", async () => {
    const [a, guilty, b] = [freshPhone(), freshPhone(), freshPhone()];
    // An outbox that writes after a read of its own (as the real one does when a CRM subscribes): the batch is
    // rolled back as soon as the hook throws, so its INSERT comes after the ROLLBACK. The driver refuses it;
    // unpatched, it ran outside the transaction, and stayed.
    await ctx.db.sql`CREATE TABLE durability_outbox (phone text)`;
    try {
      const outbox: DecisionOutbox = {
        async record(tx, decided) {
          await tx`SELECT pg_sleep(0.05)`;
          const phones = decided.flatMap((d) => d.comm.party.identities.map((i) => i.value));
          await tx`INSERT INTO durability_outbox SELECT unnest(${phones}::text[])`;
        },
        kick: () => {},
      };
      const processor = processorWith(
        healthyRouter(),
        // Not async: it throws before it returns a promise.
        (_tx, decided) => {
          if (from(decided, guilty)) throw new Error('the hook refused');
          return Promise.resolve();
        },
        { outbox },
      );
      const ids = [await store(a), await store(guilty), await store(b)];
      const outcomes = await Promise.all(ids.map((id) => processor.process(id)));
      expect(outcomes.map((o) => o.status)).toEqual(['processed', 'failed', 'processed']);
      await new Promise((r) => setTimeout(r, 200)); // Whatever was still on its way has arrived.
      const rows = await ctx.db.sql<{ phone: string }[]>`SELECT phone FROM durability_outbox`;
      // Only the retries one by one wrote: a and b once each, the guilty one never.
      expect(rows.map((r) => r.phone).sort()).toEqual([a, b].sort());
    } finally {
      await ctx.db.sql`DROP TABLE durability_outbox`;
    }
  });

  it('each hook is called once per batch, with its communications in the order of the events, without duplicates', async () => {
    const [a, b, c] = [freshPhone(), freshPhone(), freshPhone()];
    const calls: DecidedCommunication[][] = [];
    const processor = processorWith(healthyRouter(), async (_tx, decided) => {
      calls.push([...decided]);
    });
    const first = inboundBody({ from: { phones: [a] } });
    const ids = [
      await storeInboundEvent(ctx.db.sql, { source: 'api', payload: first }),
      await store(b),
      await storeInboundEvent(ctx.db.sql, { source: 'api', payload: first }), // a resend: a duplicate
      await store(c),
    ];
    const outcomes = await Promise.all(ids.map((id) => processor.process(id)));
    expect(outcomes.map((o) => (o.status === 'processed' ? o.decisions[0]!.kind : o.status))).toEqual([
      'new_lead',
      'new_lead',
      'duplicate',
      'new_lead',
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((d) => d.comm.party.identities[0]!.value)).toEqual([a, b, c]);
    expect(calls[0]!.map((d) => d.decision?.kind)).toEqual(['new_lead', 'new_lead', 'new_lead']);
    expect(calls[0]!.every((d) => d.source === 'api')).toBe(true);
  });

  it('the last statement, sent with the COMMIT without waiting for it, failing fails the batch and commits nothing of it', async () => {
    const [a, guilty, b] = [freshPhone(), freshPhone(), freshPhone()];
    // markProcessed is the statement that rides with the COMMIT: a trigger makes it fail for one event.
    await ctx.db.sql.unsafe(`
      CREATE FUNCTION durability_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'processed' AND NEW.payload::text LIKE '%${guilty}%' THEN
          RAISE EXCEPTION 'refused by the test';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER durability_refuse BEFORE UPDATE ON inbound_events
        FOR EACH ROW EXECUTE FUNCTION durability_refuse();`);
    try {
      const ids = [await store(a), await store(guilty), await store(b)];
      const outcomes = await Promise.all(ids.map((id) => ctx.processor.process(id)));
      expect(outcomes.map((o) => o.status)).toEqual(['processed', 'failed', 'processed']);
      expect(outcomes[1]).toMatchObject({ error: expect.stringMatching(/refused by the test/) });
      expect(await counts(a)).toEqual({ contacts: 1, leads: 1, messages: 1 });
      expect(await counts(guilty)).toEqual({ contacts: 0, leads: 0, messages: 0 });
      expect(await counts(b)).toEqual({ contacts: 1, leads: 1, messages: 1 });
      const [event] = await ctx.db.sql<
        { status: string }[]
      >`SELECT status FROM inbound_events WHERE id = ${ids[1]!}`;
      expect(event!.status).toBe('failed');
    } finally {
      await ctx.db.sql.unsafe(
        `DROP TRIGGER durability_refuse ON inbound_events; DROP FUNCTION durability_refuse();`,
      );
    }
  });

  it('an event handed over with its content is claimed like any other: decided once, then answered from the row', async () => {
    const phone = freshPhone();
    const payload = inboundBody({ from: { phones: [phone] } });
    const id = await storeInboundEvent(ctx.db.sql, { source: 'api', payload });
    const [row] = await ctx.db.sql<
      { receivedAt: Date }[]
    >`SELECT received_at FROM inbound_events WHERE id = ${id}`;
    const content = { source: 'api', payload, raw: null, receivedAt: row!.receivedAt };
    // Two processors (two daemons, or the live path beside the replay worker) given the same event at once.
    const other = processorWith(healthyRouter());
    const [a, b] = await Promise.all([ctx.processor.process(id, content), other.process(id, content)]);
    // One decides it; the other finds it held (busy) or already decided (the same decision).
    expect([
      ['busy', 'processed'],
      ['processed', 'processed'],
    ]).toContainEqual([a.status, b.status].sort());
    const decided = [a, b].filter((o) => o.status === 'processed');
    const leadIds = decided.map((o) => (o.status === 'processed' ? o.decisions[0]!.leadId : undefined));
    expect(new Set(leadIds).size).toBe(1);
    const again = await other.process(id, content);
    expect(again).toMatchObject({
      status: 'processed',
      decisions: [{ kind: 'new_lead', leadId: leadIds[0] }],
    });
    expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
  });

  it('a conversation created meanwhile under another id fails the upsert retryably (40001), never forks the thread', async () => {
    const [contact] = await ctx.db.sql<
      { id: string }[]
    >`INSERT INTO contacts (name) VALUES ('x') RETURNING id`;
    const key = { channel: 'api', account: 'durability', threadKey: `thread-${freshPhone()}` };
    const row = (id: string, at: string) => ({
      ...key,
      id,
      contactId: contact!.id,
      leadId: null,
      dealId: null,
      subject: null,
      at: new Date(at),
    });
    const stored = randomUUID();
    await ctx.db.sql.begin((tx) => upsertConversations(tx, [row(stored, '2026-11-20T10:00:00Z')]));
    // Another batch that did not see it, with the id it made for a new conversation of that key.
    await expect(
      ctx.db.sql.begin((tx) => upsertConversations(tx, [row(randomUUID(), '2026-11-20T11:00:00Z')])),
    ).rejects.toMatchObject({ code: '40001' });
    // Retried, it reads the stored one and passes its id.
    await ctx.db.sql.begin((tx) => upsertConversations(tx, [row(stored, '2026-11-20T12:00:00Z')]));
    const rows = await ctx.db.sql<{ id: string; lastMessageAt: Date }[]>`
      SELECT id, last_message_at FROM conversations WHERE account = 'durability' AND thread_key = ${key.threadKey}`;
    expect(rows).toEqual([{ id: stored, lastMessageAt: new Date('2026-11-20T12:00:00Z') }]);
  });

  it('a batch with responses before and after the lead began records the first one after it', async () => {
    const phone = freshPhone();
    const lead = await ctx.processor.process(await store(phone, { occurredAt: '2026-11-20T10:00:00+03:00' }));
    expect(lead).toMatchObject({ status: 'processed', decisions: [{ kind: 'new_lead' }] });
    const out = (at: string) =>
      storeInboundEvent(ctx.db.sql, {
        source: 'api',
        payload: inboundBody({ direction: 'out', from: undefined, to: { phones: [phone] }, occurredAt: at }),
      });
    const ids = [await out('2026-11-20T09:55:00+03:00'), await out('2026-11-20T10:05:00+03:00')];
    const outcomes = await Promise.all(ids.map((id) => ctx.processor.process(id)));
    expect(outcomes.map((o) => (o.status === 'processed' ? o.decisions[0]!.kind : o.status))).toEqual([
      'outbound',
      'outbound',
    ]);
    const leadId = lead.status === 'processed' ? lead.decisions[0]!.leadId : undefined;
    const [row] = await ctx.db.sql<{ firstResponseAt: Date | null }[]>`
      SELECT first_response_at FROM leads WHERE id = ${leadId!}`;
    expect(row!.firstResponseAt?.toISOString()).toBe('2026-11-20T07:05:00.000Z');
  });

  describe("a payload stored by its decision's transaction (storeAndProcess, the API's path)", () => {
    /** A payload as the intake makes it, for storeAndProcess: its row, and the content the processor reads. */
    const incoming = (phone: string, overrides: Record<string, unknown> = {}) => {
      const payload = inboundBody({ from: { phones: [phone] }, ...overrides });
      const receivedAt = ctx.clock.clock();
      const row = { id: randomUUID(), source: 'api', payloadJson: JSON.stringify(payload), receivedAt };
      return { row, content: { source: 'api', payload, raw: null, receivedAt } };
    };
    /** A payload left pending by its batch is decided later, as if the batch had never seen it. */
    const expectDecidedLater = async (id: string) => {
      ctx.clock.advance(60_000);
      expect(await processorWith(healthyRouter()).process(id)).toMatchObject({
        status: 'processed',
        decisions: [{ kind: 'new_lead' }],
      });
    };
    const statusOf = async (id: string) =>
      (
        await ctx.db.sql<{ status: string; attempts: number; lastError: string | null }[]>`
          SELECT status, attempts, last_error FROM inbound_events WHERE id = ${id}`
      )[0];

    it('the API stores the payload and decides it in one transaction, one commit for both, writing its row once', async () => {
      // Every write of an event's row: by which transaction, and what it wrote (xmin shows the last writer only).
      await ctx.db.sql.unsafe(`
        CREATE TABLE test_inserted_by (id uuid NOT NULL, tx bigint NOT NULL, op text NOT NULL, status text NOT NULL);
        CREATE FUNCTION test_record_inserter() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            INSERT INTO test_inserted_by VALUES (NEW.id, txid_current() % 4294967296, TG_OP, NEW.status);
            RETURN NEW;
          END $$;
        CREATE TRIGGER test_record_inserter AFTER INSERT OR UPDATE ON inbound_events
          FOR EACH ROW EXECUTE FUNCTION test_record_inserter();`);
      try {
        const phone = freshPhone();
        const res = await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } }));
        expect(res.status).toBe(200);
        const { eventId } = res.body as { eventId: string };
        const [row] = await ctx.db.sql<{ stored: string; decided: string; message: string }[]>`
          SELECT b.tx::text AS stored, e.xmin::text AS decided, m.xmin::text AS message
          FROM inbound_events e JOIN test_inserted_by b USING (id) JOIN messages m ON m.inbound_event_id = e.id
          WHERE e.id = ${eventId}`;
        expect(row!.stored).toBe(row!.message);
        expect(row!.decided).toBe(row!.message);
        expect(await statusOf(eventId)).toMatchObject({ status: 'processed', attempts: 1 });
        // Inserted already decided, never updated: one version of the row, not `received` and then `processed`.
        const writes = await ctx.db.sql`SELECT op, status FROM test_inserted_by WHERE id = ${eventId}`;
        expect(writes).toEqual([{ op: 'INSERT', status: 'processed' }]);
        const [stored] = await ctx.db.sql`
          SELECT decision, processed_at, skipped FROM inbound_events WHERE id = ${eventId}`;
        expect(stored).toMatchObject({
          decision: [expect.objectContaining({ kind: 'new_lead' })],
          processedAt: expect.any(Date),
          skipped: null,
        });
      } finally {
        await ctx.db.sql.unsafe(`
          DROP TRIGGER test_record_inserter ON inbound_events;
          DROP FUNCTION test_record_inserter();
          DROP TABLE test_inserted_by;`);
      }
    });

    it('a payload whose decision fails alone is stored pending with its error; its neighbours are decided in the same commit', async () => {
      const [a, broken, b] = [freshPhone(), freshPhone(), freshPhone()];
      // Routing fails for one sender only: its event is dropped from the batch alone, the transaction goes on.
      const processor = processorWith(routerFailingFor(broken));
      const events = [incoming(a), incoming(broken), incoming(b)];
      const outcomes = await Promise.all(events.map((e) => processor.storeAndProcess(e.row, e.content)));
      expect(outcomes.map((o) => o.status)).toEqual(['processed', 'failed', 'processed']);
      expect(outcomes[1]).toMatchObject({ error: 'routing failed' });
      expect(await statusOf(events[1]!.row.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: 'routing failed',
      });
      expect(await counts(broken)).toEqual({ contacts: 0, leads: 0, messages: 0 });
      // The neighbours' payloads and decisions: one commit.
      const [commits] = await ctx.db.sql<{ n: number }[]>`
        SELECT count(DISTINCT e.xmin::text)::int AS n FROM inbound_events e
        WHERE e.id = ANY(${[events[0]!.row.id, events[2]!.row.id]}::uuid[]) AND e.status = 'processed'`;
      expect(commits!.n).toBe(1);
      expect(await counts(a)).toEqual({ contacts: 1, leads: 1, messages: 1 });
      expect(await counts(b)).toEqual({ contacts: 1, leads: 1, messages: 1 });
      await expectDecidedLater(events[1]!.row.id);
    });

    it("a message's reference to its event is checked at commit: the event may come later in the transaction, not never", async () => {
      // The payload is inserted after its message (migration 023 defers the check); the check itself stays.
      const phone = freshPhone();
      const res = await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } }));
      const { eventId } = res.body as { eventId: string };
      const [message] = await ctx.db.sql<{ id: string }[]>`
        SELECT id FROM messages WHERE inbound_event_id = ${eventId}`;
      // Pointed at an event that does not exist yet, and then stored in the same transaction: it commits.
      const later = randomUUID();
      await ctx.db.sql.begin(async (tx) => {
        await tx`UPDATE messages SET inbound_event_id = ${later} WHERE id = ${message!.id}`;
        await tx`INSERT INTO inbound_events (id, source, payload) VALUES (${later}, 'api', ${tx.json({})})`;
      });
      const [moved] = await ctx.db.sql`SELECT inbound_event_id FROM messages WHERE id = ${message!.id}`;
      expect(moved).toEqual({ inboundEventId: later });
      // Pointed at one that never comes: the COMMIT fails, and nothing of the transaction stays.
      const error = await ctx.db.sql
        .begin(async (tx) => {
          await tx`UPDATE messages SET inbound_event_id = ${randomUUID()} WHERE id = ${message!.id}`;
          return 'updated';
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '23503' });
      const [kept] = await ctx.db.sql`SELECT inbound_event_id FROM messages WHERE id = ${message!.id}`;
      expect(kept).toEqual({ inboundEventId: later });
    });

    it('a payload whose row cannot even be built is never answered as stored, not even as a duplicate', async () => {
      // A resend: its decision writes no message, so no reference would catch a COMMIT without its row.
      const phone = freshPhone();
      const first = incoming(phone, { externalId: `dup-${randomUUID()}` });
      const processor = processorWith(healthyRouter());
      expect(await processor.storeAndProcess(first.row, first.content)).toMatchObject({
        status: 'processed',
      });
      const again = incoming(phone, { externalId: first.content.payload.externalId });
      // Building the INSERT throws (an invalid time): the transaction must roll back, not commit without it.
      const broken = { ...again.row, receivedAt: new Date(Number.NaN) };
      await expect(processor.storeAndProcess(broken, again.content)).rejects.toThrow(RangeError);
      expect(await statusOf(broken.id)).toBeUndefined();
      const [messages] = await ctx.db.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM messages WHERE external_id = ${first.content.payload.externalId}`;
      expect(messages!.n).toBe(1);
    });

    it('what a source keeps out of the rules is stored on the payload inserted decided, and audited once', async () => {
      const phone = freshPhone();
      const skipped = {
        channel: 'api',
        account: 'web',
        externalId: 'ignored-1',
        rule: 'skip_test',
        reason: 'тест',
      };
      const processor = processorWith(healthyRouter(), undefined, {
        normalize: (normalize) => async (payload, raw) => {
          const result = await normalize(payload, raw);
          return result.ok ? { ...result, skipped: [skipped as SkippedCommunication] } : result;
        },
      });
      const e = incoming(phone);
      expect(await processor.storeAndProcess(e.row, e.content)).toMatchObject({
        status: 'processed',
        skipped: [skipped],
      });
      const [row] = await ctx.db
        .sql`SELECT status, attempts, skipped FROM inbound_events WHERE id = ${e.row.id}`;
      expect(row).toEqual({ status: 'processed', attempts: 1, skipped: [skipped] });
      const audits = await ctx.db.sql`
        SELECT action, entity_id FROM audit_log WHERE inbound_event_id = ${e.row.id} AND action LIKE 'skipped.%'`;
      expect(audits).toEqual([{ action: 'skipped.skip_test', entityId: e.row.id }]);
    });

    it('a statement that fails takes the batch down: every payload is stored still, and only the guilty one fails', async () => {
      const [a, guilty, b] = [freshPhone(), freshPhone(), freshPhone()];
      let batches = 0;
      const processor = processorWith(healthyRouter(), async (tx, decided) => {
        batches += 1;
        if (from(decided, guilty)) await tx`SELECT 1 / 0`;
      });
      const events = [incoming(a), incoming(guilty), incoming(b)];
      const outcomes = await Promise.all(events.map((e) => processor.storeAndProcess(e.row, e.content)));
      expect(outcomes.map((o) => o.status)).toEqual(['processed', 'failed', 'processed']);
      // The batch, then each event alone: the stored payloads are not tried as a batch a second time.
      expect(batches).toBe(4);
      expect(outcomes[1]).toMatchObject({ error: expect.stringMatching(/division by zero/) });
      // The guilty payload is stored, pending for the replay worker, with its error; nothing else of it.
      expect(await statusOf(events[1]!.row.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastError: expect.stringMatching(/division by zero/),
      });
      expect(await counts(guilty)).toEqual({ contacts: 0, leads: 0, messages: 0 });
      for (const [phone, e] of [
        [a, events[0]!],
        [b, events[2]!],
      ] as const) {
        expect(await statusOf(e.row.id)).toMatchObject({ status: 'processed' });
        expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
      }
      await expectDecidedLater(events[1]!.row.id);
    });

    it('a payload the database refuses fails its own sender alone, stored nowhere; its neighbours are stored and decided', async () => {
      const [a, b, c] = [freshPhone(), freshPhone(), freshPhone()];
      const good = [incoming(a), incoming(b)];
      const bad = incoming(freshPhone());
      const refused = { ...bad.row, payloadJson: '{"broken": ' }; // not JSON: the INSERT's cast fails
      // A stored event (the replay worker's, another transport's) in the same batch.
      const storedBefore = await store(c);
      const [first, broken, second, third] = await Promise.allSettled([
        ctx.processor.storeAndProcess(good[0]!.row, good[0]!.content),
        ctx.processor.storeAndProcess(refused, bad.content),
        ctx.processor.storeAndProcess(good[1]!.row, good[1]!.content),
        ctx.processor.process(storedBefore),
      ]);
      expect(broken).toMatchObject({ status: 'rejected', reason: { code: '22P02' } });
      expect(await statusOf(bad.row.id)).toBeUndefined();
      for (const [result, phone] of [
        [first, a],
        [second, b],
        [third, c],
      ] as const) {
        expect(result).toMatchObject({ status: 'fulfilled', value: { status: 'processed' } });
        expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
      }
    });

    it('a serialization failure is retried at once: the payload is stored once, decided once', async () => {
      const phone = freshPhone();
      let tries = 0;
      const processor = processorWith(healthyRouter(), async (tx) => {
        tries += 1;
        if (tries === 1) await tx`SELECT switchboard_retry('test: decided again')`;
      });
      const e = incoming(phone);
      expect(await processor.storeAndProcess(e.row, e.content)).toMatchObject({
        status: 'processed',
        decisions: [{ kind: 'new_lead' }],
      });
      expect(tries).toBe(2);
      expect(await statusOf(e.row.id)).toMatchObject({ status: 'processed', attempts: 1, lastError: null });
      expect(await counts(phone)).toEqual({ contacts: 1, leads: 1, messages: 1 });
    });

    it('a batch given up after its payloads committed answers "stored" (failed, pending), never "send again"', async () => {
      const [a, guilty] = [freshPhone(), freshPhone()];
      // Recording the guilty event's failure, after every payload of the batch was stored, outlasts the watchdog.
      await ctx.db.sql.unsafe(`
        CREATE FUNCTION test_slow_failure() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM pg_sleep(0.6); RETURN NEW; END $$;
        CREATE TRIGGER test_slow_failure BEFORE UPDATE ON inbound_events
          FOR EACH ROW WHEN (NEW.status = 'failed') EXECUTE FUNCTION test_slow_failure();`);
      try {
        const processor = processorWith(
          healthyRouter(),
          async (tx, decided) => {
            if (from(decided, guilty)) await tx`SELECT 1 / 0`;
          },
          { timeoutMs: 300 },
        );
        const events = [incoming(a), incoming(guilty)];
        const outcomes = await Promise.all(events.map((e) => processor.storeAndProcess(e.row, e.content)));
        expect(outcomes).toEqual([
          { status: 'failed', error: 'database unavailable' },
          { status: 'failed', error: 'database unavailable' },
        ]);
        await processor.drain();
        await expect.poll(async () => (await statusOf(events[1]!.row.id))?.status).toBe('failed');
        expect(await statusOf(events[0]!.row.id)).toMatchObject({ status: 'processed' });
        expect(await counts(a)).toEqual({ contacts: 1, leads: 1, messages: 1 });
      } finally {
        await ctx.db.sql.unsafe(`
          DROP TRIGGER test_slow_failure ON inbound_events;
          DROP FUNCTION test_slow_failure();`);
      }
    });

    it('a batch stuck past its watchdog answers "unavailable"; its late commit is stored and decided, a resend is a duplicate', async () => {
      const sql = ctx.db.sql;
      const processor = processorWith(healthyRouter(), undefined, { timeoutMs: 300 });
      const e = incoming(freshPhone());
      // Another session holds a lock every INSERT waits for (on the embedded database, its one connection):
      // the batch neither fails nor returns.
      const blocker = await sql.reserve();
      try {
        await blocker`BEGIN`;
        await blocker`LOCK TABLE inbound_events IN SHARE MODE`;
        const late = await processor.storeAndProcess(e.row, e.content).catch((err: unknown) => err);
        expect(late).toBeInstanceOf(BatchTimeoutError);
        expect(isDatabaseUnavailable(late)).toBe(true); // -> 503 + Retry-After
      } finally {
        await blocker`COMMIT`.catch(() => {});
        blocker.release();
      }
      // The given-up transaction goes on and commits the payload with its decision.
      await expect.poll(async () => (await statusOf(e.row.id))?.status).toBe('processed');
      // The sender, told 503, sends the same payload again: a second event, rule 1's duplicate.
      const resent = { ...e.row, id: randomUUID() };
      expect(await processor.storeAndProcess(resent, e.content)).toMatchObject({
        status: 'processed',
        decisions: [{ kind: 'duplicate', rule: 'rule_1_duplicate' }],
      });
    });
  });
});
