import type { Queryable } from '../db/queryable.js';

export interface InboxNotification {
  id: string;
  recipient: string;
  kind: string;
  leadId: string | null;
  title: string;
  body: string;
  url: string | null;
  createdAt: Date;
  readAt: Date | null;
}

/**
 * Stores an in-app notification. `sourceId` (the SLA delivery row) is unique, so delivering the same row
 * twice stores it once. Returns false when it was already there.
 */
export async function storeNotification(
  sql: Queryable,
  n: {
    recipient: string;
    kind: string;
    sourceId: string;
    leadId: string | null;
    title: string;
    body: string;
    url: string | null;
    now: Date;
  },
): Promise<boolean> {
  const rows = await sql`
    INSERT INTO notifications (recipient, kind, source_id, lead_id, title, body, url, created_at)
    VALUES (${n.recipient}, ${n.kind}, ${n.sourceId}, ${n.leadId}, ${n.title}, ${n.body}, ${n.url}, ${n.now})
    ON CONFLICT (source_id) DO NOTHING RETURNING id`;
  return rows.length === 1;
}

export async function listNotifications(
  sql: Queryable,
  f: { recipient: string; unreadOnly: boolean; before?: { createdAt: Date; id: string }; limit: number },
): Promise<InboxNotification[]> {
  return sql<InboxNotification[]>`
    SELECT id, recipient, kind, lead_id, title, body, url, created_at, read_at FROM notifications
    WHERE recipient = ${f.recipient}
      ${f.unreadOnly ? sql`AND read_at IS NULL` : sql``}
      ${f.before ? sql`AND (created_at, id) < (${f.before.createdAt}, ${f.before.id})` : sql``}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit}`;
}

/** Marks notifications read (idempotent: the first read time is kept). Returns the ids that exist. */
export async function markRead(sql: Queryable, ids: readonly string[], now: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sql<{ id: string }[]>`
    UPDATE notifications SET read_at = coalesce(read_at, ${now})
    WHERE id = ANY(${ids as string[]}::uuid[]) RETURNING id`;
  return rows.map((r) => r.id);
}
