import type { Queryable as Sql } from '../../db/queryable.js';
import { listNotifications, markRead } from '../../sla/inbox.js';

export { listNotifications };

export async function unreadNotificationCount(sql: Sql, login: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM notifications WHERE recipient = ${login} AND read_at IS NULL`;
  return row?.n ?? 0;
}

/** Marks the person's own notifications read (someone else's ids are ignored). */
export async function markOwnRead(sql: Sql, login: string, ids: readonly string[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  const own = await sql<{ id: string }[]>`
    SELECT id FROM notifications WHERE recipient = ${login} AND id = ANY(${ids as string[]}::uuid[])`;
  await markRead(
    sql,
    own.map((r) => r.id),
    now,
  );
}

export async function unreadIds(sql: Sql, login: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM notifications WHERE recipient = ${login} AND read_at IS NULL`;
  return rows.map((r) => r.id);
}
