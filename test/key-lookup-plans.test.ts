import { randomUUID } from 'node:crypto';
import type { ReservedSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useKeyLookupPlans } from '../src/db/key-lookup-plans.js';
import { findConversations } from '../src/db/repos/conversations.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { backends } from './support/pg.js';

/**
 * The decision's transaction runs generic plans (src/db/key-lookup-plans.ts). A generic plan is made once per
 * connection, so the one that matters is the plan made while a table was still empty and never analyzed: it
 * must still be an index lookup once the table has grown.
 */
describe.each(backends())('key-lookup plans, on %s', (backend) => {
  let db: TestDatabase;
  let conn: ReservedSql;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    conn = await db.sql.reserve();
  });
  afterAll(async () => {
    conn?.release();
    await db?.close();
  });

  const key = { channel: 'telegram', account: 'bot', threadKey: 'chat:1' };
  /** The plan the connection's prepared statement of `findConversations` runs under the settings. */
  const cachedPlan = async () => {
    const [statement] = await conn<{ name: string; genericPlans: number; customPlans: number }[]>`
      SELECT name, generic_plans::int, custom_plans::int FROM pg_prepared_statements
      WHERE statement LIKE '%FROM conversations c%JOIN unnest%' AND statement NOT LIKE '%pg_prepared%'`;
    expect(statement, 'the statement was prepared on this connection').toBeDefined();
    await conn`BEGIN`;
    try {
      await useKeyLookupPlans(conn, { statementTimeout: '5s' });
      const plan = await conn.unsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN EXECUTE "${statement!.name}"('{telegram}', '{bot}', '{chat:1}')`,
      );
      return { ...statement!, plan: plan.map((r) => r['QUERY PLAN']).join('\n') };
    } finally {
      await conn`COMMIT`;
    }
  };

  it('a plan made on an empty, never-analyzed table stays an index lookup as the table grows', async () => {
    const [{ n } = { n: -2 }] = await conn<{ n: number }[]>`
      SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'conversations'::regclass`;
    expect(n, 'never analyzed').toBe(-1);

    await conn`BEGIN`;
    await useKeyLookupPlans(conn, { statementTimeout: '5s' });
    expect((await findConversations(conn, [key])).size).toBe(0);
    await conn`COMMIT`;

    // The table grows behind the cached plan's back: no ANALYZE.
    const contactId = randomUUID();
    await conn`INSERT INTO contacts (id, name, status) VALUES (${contactId}, 'x', 'prospect')`;
    await conn`
      INSERT INTO conversations (id, contact_id, channel, account, thread_key, last_message_at)
      SELECT gen_random_uuid(), ${contactId}, 'telegram', 'bot', 'chat:' || g, now()
      FROM generate_series(1, 20000) g`;

    const { genericPlans, customPlans, plan } = await cachedPlan();
    expect(customPlans, 'no custom plan was made under the settings').toBe(0);
    expect(genericPlans).toBeGreaterThanOrEqual(1);
    expect(plan).toMatch(/Index (Only )?Scan using conversations_channel_account_thread_key_key/);
    expect(plan).not.toMatch(/Seq Scan|Hash Join|Merge Join/);

    // And the lookup answers from the grown table.
    await conn`BEGIN`;
    await useKeyLookupPlans(conn, { statementTimeout: '5s' });
    expect((await findConversations(conn, [key])).size).toBe(1);
    await conn`COMMIT`;
  });
});
