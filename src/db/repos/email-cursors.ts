import type { Queryable as Sql } from '../queryable.js';

/** Where one watched IMAP folder stands: every UID up to `lastUid` under `uidValidity` is stored. */
export interface EmailCursor {
  uidValidity: bigint;
  lastUid: number;
}

export async function getCursor(sql: Sql, mailbox: string, folder: string): Promise<EmailCursor | undefined> {
  const [row] = await sql<{ uidValidity: string; lastUid: string }[]>`
    SELECT uid_validity::text, last_uid::text FROM email_cursors WHERE mailbox = ${mailbox} AND folder = ${folder}`;
  return row ? { uidValidity: BigInt(row.uidValidity), lastUid: Number(row.lastUid) } : undefined;
}

/** Locks the folder's cursor row for the caller's transaction (two workers on one folder serialize here). */
export async function lockCursor(tx: Sql, mailbox: string, folder: string): Promise<EmailCursor | undefined> {
  const [row] = await tx<{ uidValidity: string; lastUid: string }[]>`
    SELECT uid_validity::text, last_uid::text FROM email_cursors
    WHERE mailbox = ${mailbox} AND folder = ${folder} FOR UPDATE`;
  return row ? { uidValidity: BigInt(row.uidValidity), lastUid: Number(row.lastUid) } : undefined;
}

export async function putCursor(
  sql: Sql,
  mailbox: string,
  folder: string,
  cursor: EmailCursor,
): Promise<void> {
  await sql`
    INSERT INTO email_cursors (mailbox, folder, uid_validity, last_uid, updated_at)
    VALUES (${mailbox}, ${folder}, ${cursor.uidValidity.toString()}::bigint, ${cursor.lastUid}, now())
    ON CONFLICT (mailbox, folder) DO UPDATE SET
      uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, updated_at = now()`;
}
