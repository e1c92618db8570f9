import type { Queryable as Sql } from '../../db/queryable.js';
import { type StoredMedia, storedMedia } from '../../db/repos/message-media.js';
import { canSeeLead, type WebUser } from './users.js';

export { type MessageMedia, messageMedia } from '../../db/repos/message-media.js';

export type MediaAccess = { ok: true; file: StoredMedia } | { ok: false; reason: 'not_found' | 'forbidden' };

/**
 * The stored copy if the person may see it: the lead page shows a contact's whole thread, so the rule is the
 * page's own, one of the contact's leads must be visible to them (their team's, their own; all for an admin).
 * A copy not stored (yet) is not found.
 */
export async function mediaFor(sql: Sql, user: WebUser, id: string): Promise<MediaAccess> {
  const file = await storedMedia(sql, id);
  if (!file) return { ok: false, reason: 'not_found' };
  if (!user.all) {
    const leads = await sql<{ team: string | null; responsible: string | null }[]>`
      SELECT team, responsible FROM leads WHERE contact_id = ${file.contactId}`;
    if (!leads.some((l) => canSeeLead(user, l))) return { ok: false, reason: 'forbidden' };
  }
  return { ok: true, file };
}
