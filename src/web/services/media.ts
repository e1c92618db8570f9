import type { Queryable as Sql } from '../../db/queryable.js';
import { canSeeLead, type WebUser } from './users.js';

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

export type MediaAccess = { ok: true; file: StoredMedia } | { ok: false; reason: 'not_found' | 'forbidden' };

/**
 * The stored copy if the person may see it: the lead page shows a contact's whole thread, so the rule is the
 * page's own, one of the contact's leads must be visible to them (their team's, their own; all for an admin).
 */
export async function mediaFor(sql: Sql, user: WebUser, id: string): Promise<MediaAccess> {
  const [row] = await sql<{ contactId: string; status: string }[]>`
    SELECT m.contact_id, mm.status FROM message_media mm JOIN messages m ON m.id = mm.message_id
    WHERE mm.id = ${id}`;
  if (!row) return { ok: false, reason: 'not_found' };
  if (!user.all) {
    const leads = await sql<{ team: string | null; responsible: string | null }[]>`
      SELECT team, responsible FROM leads WHERE contact_id = ${row.contactId}`;
    if (!leads.some((l) => canSeeLead(user, l))) return { ok: false, reason: 'forbidden' };
  }
  if (row.status !== 'stored') return { ok: false, reason: 'not_found' };
  const [file] = await sql<StoredMedia[]>`
    SELECT content_type, name, content FROM message_media WHERE id = ${id} AND status = 'stored'`;
  return file ? { ok: true, file } : { ok: false, reason: 'not_found' };
}

// Shown inline: images, audio and video a browser plays without running anything. Everything else (SVG,
// HTML, PDF…) is a download, so a client's file can never run as a page of ours.
const INLINE = /^(image\/(jpeg|png|gif|webp)|audio\/(mpeg|ogg|mp4|aac|wav|webm)|video\/(mp4|webm))$/;

/** The copy as an HTTP response: its Content-Type; shown inline only for plain images/audio/video, else a download. */
export function mediaResponse(file: StoredMedia): Response {
  const inline = INLINE.test(file.contentType);
  const name = (file.name ?? 'file').replace(/[\r\n"\\]/g, '_');
  return new Response(new Uint8Array(file.content), {
    status: 200,
    headers: {
      'content-type': file.contentType,
      'content-length': String(file.content.length),
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
      'content-security-policy': "default-src 'none'; sandbox",
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=86400',
    },
  });
}
