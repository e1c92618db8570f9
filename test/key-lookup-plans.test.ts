import { randomUUID } from 'node:crypto';
import type { ReservedSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useKeyLookupPlans } from '../src/db/key-lookup-plans.js';
import { findContactThreads, findConversations } from '../src/db/repos/conversations.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { type Backend, backends } from './support/pg.js';

/**
 * A database of the describe block's own and one connection reserved on it: prepared statements, and so the
 * generic plans these tests look at, belong to one connection.
 */
function ownConnection(backend: Backend): { conn: ReservedSql } {
  let db: TestDatabase | undefined;
  const h = {} as { conn: ReservedSql };
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    h.conn = await db.sql.reserve();
  });
  afterAll(async () => {
    h.conn?.release();
    await db?.close();
  });
  return h;
}

/**
 * The decision's transaction runs generic plans (src/db/key-lookup-plans.ts). A generic plan is made once per
 * connection, so the one that matters is the plan made while a table was still empty and never analyzed: it
 * must still be an index lookup once the table has grown.
 */
describe.each(backends())('key-lookup plans, on %s', (backend) => {
  const h = ownConnection(backend);

  const key = { channel: 'telegram', account: 'bot', threadKey: 'chat:1' };
  /** The plan the connection's prepared statement of `findConversations` runs under the settings. */
  const cachedPlan = async () => {
    const [statement] = await h.conn<{ name: string; genericPlans: number; customPlans: number }[]>`
      SELECT name, generic_plans::int, custom_plans::int FROM pg_prepared_statements
      WHERE statement LIKE '%FROM conversations c%JOIN unnest%' AND statement NOT LIKE '%pg_prepared%'`;
    expect(statement, 'the statement was prepared on this connection').toBeDefined();
    await h.conn`BEGIN`;
    try {
      await useKeyLookupPlans(h.conn, { statementTimeout: '5s' });
      const plan = await h.conn.unsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN EXECUTE "${statement!.name}"('{telegram}', '{bot}', '{chat:1}')`,
      );
      return { ...statement!, plan: plan.map((r) => r['QUERY PLAN']).join('\n') };
    } finally {
      await h.conn`COMMIT`;
    }
  };

  it('a plan made on an empty, never-analyzed table stays an index lookup as the table grows', async () => {
    const [{ n } = { n: -2 }] = await h.conn<{ n: number }[]>`
      SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'conversations'::regclass`;
    expect(n, 'never analyzed').toBe(-1);

    await h.conn`BEGIN`;
    await useKeyLookupPlans(h.conn, { statementTimeout: '5s' });
    expect((await findConversations(h.conn, [key])).size).toBe(0);
    await h.conn`COMMIT`;

    // The table grows behind the cached plan's back: no ANALYZE.
    const contactId = randomUUID();
    await h.conn`INSERT INTO contacts (id, name, status) VALUES (${contactId}, 'x', 'prospect')`;
    await h.conn`
      INSERT INTO conversations (id, contact_id, channel, account, thread_key, last_message_at)
      SELECT gen_random_uuid(), ${contactId}, 'telegram', 'bot', 'chat:' || g, now()
      FROM generate_series(1, 20000) g`;

    const { genericPlans, customPlans, plan } = await cachedPlan();
    expect(customPlans, 'no custom plan was made under the settings').toBe(0);
    expect(genericPlans).toBeGreaterThanOrEqual(1);
    expect(plan).toMatch(/Index (Only )?Scan using conversations_channel_account_thread_key_key/);
    expect(plan).not.toMatch(/Seq Scan|Hash Join|Merge Join/);

    // And the lookup answers from the grown table.
    await h.conn`BEGIN`;
    await useKeyLookupPlans(h.conn, { statementTimeout: '5s' });
    expect((await findConversations(h.conn, [key])).size).toBe(1);
    await h.conn`COMMIT`;
  });
});

describe.each(backends())('key-lookup plans of a fresh installation, on %s', (backend) => {
  const h = ownConnection(backend);

  it("a contact's thread is found by its whole key, however many threads its channel account has", async () => {
    // The plan is made while the account has no conversation (and the table's statistics say so): a plan that
    // finds the threads of the account first and the contact's among them then reads every thread of the
    // account at every batch once the account has many (seen in the bench: 3,600 buffers per batch).
    const [owner, other] = [randomUUID(), randomUUID()];
    const account = `acc-${randomUUID()}`;
    await h.conn`INSERT INTO contacts (id, name, status) VALUES (${owner}, 'x', 'prospect'), (${other}, 'y', 'prospect')`;
    const owners = () => h.conn`SELECT unnest(${[owner]}::uuid[]) AS contact_id`;
    const find = async () => {
      await h.conn`BEGIN`;
      await useKeyLookupPlans(h.conn, { statementTimeout: '5s' });
      const found = await findContactThreads(h.conn, [{ channel: 'webform', account }], owners());
      await h.conn`COMMIT`;
      return found;
    };
    await h.conn`ANALYZE conversations`; // Empty, and known to be: what a fresh installation's first pass leaves.
    expect((await find()).size).toBe(0);

    await h.conn`
      INSERT INTO conversations (id, contact_id, channel, account, thread_key, last_message_at)
      SELECT gen_random_uuid(), ${other}, 'webform', ${account}, 'contact:' || gen_random_uuid(), now()
      FROM generate_series(1, 20000) g`;
    await h.conn`
      INSERT INTO conversations (id, contact_id, channel, account, thread_key, last_message_at)
      VALUES (gen_random_uuid(), ${owner}, 'webform', ${account}, ${`contact:${owner}`}, now())`;

    const [statement] = await h.conn<{ name: string }[]>`
      SELECT name FROM pg_prepared_statements
      WHERE statement LIKE '%CROSS JOIN%conversations%' AND statement NOT LIKE '%pg_prepared%'`;
    expect(statement, 'the statement was prepared on this connection').toBeDefined();
    await h.conn`BEGIN`;
    try {
      await useKeyLookupPlans(h.conn, { statementTimeout: '5s' });
      const rows = await h.conn.unsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE "${statement!.name}"('{webform}', '{${account}}', '{${owner}}')`,
      );
      const [{ Plan: plan }] = rows[0]!['QUERY PLAN'] as unknown as [
        { Plan: { 'Shared Hit Blocks': number } },
      ];
      // A lookup by the whole key reads a handful of index and heap pages; the account's 20,000 threads
      // would be hundreds.
      expect(
        plan['Shared Hit Blocks'] + (plan as { 'Shared Read Blocks'?: number })['Shared Read Blocks']!,
      ).toBeLessThan(30);
    } finally {
      await h.conn`COMMIT`;
    }
    expect((await find()).size).toBe(1);
  });
});
