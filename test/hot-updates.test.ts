import { randomUUID } from 'node:crypto';
import type { ReservedSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertConversations } from '../src/db/repos/conversations.js';
import { contactDetails } from '../src/db/repos/read-models.js';
import { openTestDatabase, type TestDatabase } from './support/db.js';
import { backends } from './support/pg.js';

/**
 * Nearly every inbound message updates its conversation (migration 024). That update must be HOT: a new version
 * of the row on its own page and no new index entry, or each message costs three index entries and three dead
 * ones for VACUUM.
 */
describe.each(backends())('conversation updates, on %s', (backend) => {
  let db: TestDatabase;
  let conn: ReservedSql;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    // One connection: the statistics counted below are this backend's until it flushes them.
    conn = await db.sql.reserve();
  });
  afterAll(async () => {
    conn?.release();
    await db?.close();
  });

  it('touch no index: every update of a conversation by a new message is HOT', async () => {
    const [contact] = await conn<{ id: string }[]>`
      INSERT INTO contacts (name) VALUES ('Клиент') RETURNING id`;
    const [lead] = await conn<{ id: string }[]>`
      INSERT INTO leads (contact_id, kind, channel, account, first_contact_at)
      VALUES (${contact!.id}, 'new', 'telegram', 'bot', now()) RETURNING id`;
    const [deal] = await conn<{ id: string }[]>`
      INSERT INTO deals (external_id, contact_id, status) VALUES ('B24-1', ${contact!.id}, 'active') RETURNING id`;
    const conversation = {
      id: randomUUID(),
      channel: 'telegram',
      account: 'bot',
      threadKey: 'chat:1',
      contactId: contact!.id,
      leadId: null as string | null,
      dealId: null as string | null,
      subject: null,
    };
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 9, minute));
    await upsertConversations(conn, [{ ...conversation, at: at(0) }]);
    const before = await counters(conn);

    // What the decisions write: a later message, once its lead, once its deal; each statement its own
    // transaction.
    for (let minute = 1; minute <= 20; minute++)
      await upsertConversations(conn, [
        {
          ...conversation,
          leadId: minute === 5 ? lead!.id : null,
          dealId: minute === 9 ? deal!.id : null,
          at: at(minute),
        },
      ]);

    const after = await counters(conn);
    expect(after.updated - before.updated).toBe(20);
    expect(after.hot - before.hot, 'updates that wrote no index entry').toBe(20);
    // Room on each page for the new version, also once the table is full (twenty fit a fresh page anyway).
    const [table] = await conn<{ options: string[] | null }[]>`
      SELECT reloptions AS options FROM pg_class WHERE oid = 'conversations'::regclass`;
    expect(table?.options).toContain('fillfactor=90');

    // The contact card still lists its conversations, the latest first, with what the updates wrote.
    const [other] = await conn<{ id: string }[]>`
      INSERT INTO conversations (channel, account, thread_key, contact_id, last_message_at)
      VALUES ('email', 'sales', 'thread:1', ${contact!.id}, ${at(30)}) RETURNING id`;
    const card = await contactDetails(conn, contact!.id);
    expect(card?.conversations.map((c) => [c.id, c.leadId ?? null, c.dealId ?? null])).toEqual([
      [other!.id, null, null],
      [conversation.id, lead!.id, deal!.id],
    ]);
  });
});

/** This backend's counts of updates to conversations, flushed to the shared statistics and read afresh. */
async function counters(conn: ReservedSql): Promise<{ updated: number; hot: number }> {
  await conn`SELECT pg_stat_force_next_flush()`;
  await conn`SELECT pg_stat_clear_snapshot()`;
  const [row] = await conn<{ updated: number; hot: number }[]>`
    SELECT n_tup_upd::int AS updated, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables
    WHERE relid = 'conversations'::regclass`;
  return row!;
}
