import type { Queryable as Sql } from '../queryable.js';

/**
 * One attachment of a message as the lead page shows it (docs/messengers.md#attachments). `href` serves the
 * copy once `status` is `stored`; before that (or when it could not be copied) the page can offer
 * `sourceUrl`, the provider's own link, which may have expired.
 */
export interface MessageMedia {
  id: string;
  messageId: string;
  /** Index in the message's `meta.attachments`. */
  position: number;
  /** photo, file, voice, video, audio */
  kind: string;
  /** The file name the client gave (documents), if any. */
  name: string | null;
  /** pending (being copied, retried) · stored · expired (the provider no longer has it) · too_large · failed */
  status: 'pending' | 'stored' | 'expired' | 'too_large' | 'failed';
  contentType: string | null;
  bytes: number | null;
  attempts: number;
  /** Why the last attempt did not store it (no personal data). */
  lastError: string | null;
  sourceUrl: string | null;
  /** `/media/<id>`: the stored copy, for people who may see the message's contact (null until stored). */
  href: string | null;
}

/** The attachments of these messages (a lead page's thread), by message id, in attachment order. */
export async function messageMedia(
  sql: Sql,
  messageIds: readonly string[],
): Promise<Map<string, MessageMedia[]>> {
  const out = new Map<string, MessageMedia[]>();
  if (messageIds.length === 0) return out;
  const rows = await sql<Omit<MessageMedia, 'href'>[]>`
    SELECT id, message_id, position, kind, name, status, content_type, bytes, attempts, last_error,
           source_url
    FROM message_media WHERE message_id = ANY(${messageIds as string[]}::uuid[])
    ORDER BY message_id, position`;
  for (const r of rows) {
    const list = out.get(r.messageId) ?? [];
    list.push({ ...r, href: r.status === 'stored' ? `/media/${r.id}` : null });
    out.set(r.messageId, list);
  }
  return out;
}

export interface StoredMedia {
  contentType: string;
  name: string | null;
  content: Buffer;
}

/** A stored copy with the contact of its message (whoever may see the contact may see it), or undefined. */
export async function storedMedia(
  sql: Sql,
  id: string,
): Promise<(StoredMedia & { contactId: string }) | undefined> {
  const [row] = await sql<(StoredMedia & { contactId: string })[]>`
    SELECT m.contact_id, mm.content_type, mm.name, mm.content
    FROM message_media mm JOIN messages m ON m.id = mm.message_id
    WHERE mm.id = ${id} AND mm.status = 'stored'`;
  return row;
}
