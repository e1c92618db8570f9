import type { Queryable as Sql } from '../../db/queryable.js';
import { type AuditRow, auditTrail } from '../../db/repos/audit.js';
import { getLead, type LeadRow } from '../../db/repos/leads.js';
import { type MessageMedia, messageMedia } from '../../db/repos/message-media.js';
import { contactDetails } from '../../db/repos/read-models.js';
import { canSeeLead, type WebUser } from './users.js';

export interface ThreadEntry {
  id: string;
  conversationId: string;
  kind: 'message' | 'call';
  direction: 'in' | 'out';
  channel: string;
  subject: string | null;
  body: string | null;
  meta: Record<string, unknown> | null;
  occurredAt: Date;
  leadId: string | null;
  callId: string | null;
  callState: string | null;
  talkSeconds: number | null;
  waitSeconds: number | null;
  agent: string | null;
  recordingStatus: string | null;
  /** Our copies of a messenger message's attachments, by position (src/channels/messenger/media). */
  copies?: MessageMedia[];
}

export type ContactView = NonNullable<Awaited<ReturnType<typeof contactDetails>>>;

export interface LeadView {
  lead: LeadRow;
  contact: ContactView;
  thread: ThreadEntry[];
  trail: AuditRow[];
}

export type LeadAccess = { ok: true; lead: LeadRow } | { ok: false; reason: 'not_found' | 'forbidden' };

/** The lead if the person may see it: another team's lead is refused, never shown. */
export async function leadFor(sql: Sql, user: WebUser, id: string): Promise<LeadAccess> {
  const lead = await getLead(sql, id);
  if (!lead) return { ok: false, reason: 'not_found' };
  if (!canSeeLead(user, lead)) return { ok: false, reason: 'forbidden' };
  return { ok: true, lead };
}

/** The newest 300 messages and calls of the contact, on every channel, oldest first. */
export async function contactThread(sql: Sql, contactId: string): Promise<ThreadEntry[]> {
  const rows = await sql<ThreadEntry[]>`
    SELECT m.id, m.conversation_id, m.kind, m.direction, m.channel, m.subject, m.body, m.meta, m.occurred_at,
           m.lead_id, ca.id AS call_id, ca.state AS call_state, ca.talk_seconds, ca.wait_seconds, ca.agent,
           cr.status AS recording_status
    FROM messages m
    LEFT JOIN calls ca ON ca.message_id = m.id
    LEFT JOIN call_recordings cr ON cr.call_id = ca.id
    WHERE m.contact_id = ${contactId}
    ORDER BY m.occurred_at DESC, m.created_at DESC LIMIT 300`;
  return rows.reverse();
}

/** Everything the lead page shows, in parallel reads. */
export async function leadView(sql: Sql, lead: LeadRow): Promise<LeadView> {
  const [contact, thread, trail] = await Promise.all([
    contactDetails(sql, lead.contactId),
    contactThread(sql, lead.contactId),
    auditTrail(sql, 'lead', lead.id),
  ]);
  if (!contact) throw new Error(`lead ${lead.id} has no contact`);
  const copies = await messageMedia(
    sql,
    thread.filter((e) => e.kind === 'message' && e.channel !== 'email').map((e) => e.id),
  );
  for (const e of thread) {
    const list = copies.get(e.id);
    if (list) e.copies = list;
  }
  return { lead, contact, thread, trail };
}

/** The stamp of the newest thing on a lead's page: the live stream compares it to tell the page to refresh. */
export async function leadPulse(sql: Sql, leadId: string): Promise<string> {
  const [row] = await sql<{ m: Date | null; u: Date | null; n: number }[]>`
    SELECT (SELECT max(occurred_at) FROM messages WHERE contact_id = l.contact_id) AS m, l.updated_at AS u,
           (SELECT count(*)::int FROM messages WHERE contact_id = l.contact_id) AS n
    FROM leads l WHERE l.id = ${leadId}`;
  return row ? `${row.m?.toISOString() ?? '-'}|${row.u?.toISOString() ?? '-'}|${row.n}` : 'gone';
}

/** Whether the conversation belongs to the contact (a reply form cannot name someone else's thread). */
export async function isContactConversation(
  sql: Sql,
  conversationId: string,
  contactId: string,
): Promise<boolean> {
  const rows =
    await sql`SELECT 1 FROM conversations WHERE id = ${conversationId} AND contact_id = ${contactId}`;
  return rows.length === 1;
}

/** The lead of a call (for its recording): the same visibility as the lead page. */
export async function callLeadFor(sql: Sql, user: WebUser, callId: string): Promise<LeadAccess> {
  const [call] = await sql<{ leadId: string | null }[]>`SELECT lead_id FROM calls WHERE id = ${callId}`;
  if (!call?.leadId) return { ok: false, reason: 'not_found' };
  return leadFor(sql, user, call.leadId);
}

/** Whether the phone (E.164) is one of the contact's: «Позвонить» calls only the lead's own client. */
export async function contactHasPhone(sql: Sql, contactId: string, e164: string): Promise<boolean> {
  const rows =
    await sql`SELECT 1 FROM identities WHERE contact_id = ${contactId} AND kind = 'phone' AND value = ${e164}`;
  return rows.length === 1;
}
