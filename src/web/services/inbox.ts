import type { Queryable as Sql } from '../../db/queryable.js';
import { contactsByIdentities } from '../../db/repos/read-models.js';
import { type Identity, type IdentityPolicy, normalizeIdentity } from '../../identity/identity.js';
import type { WebUser } from './users.js';

export type InboxScope = 'default' | 'mine' | 'team';
export type InboxStatus = 'open' | 'new' | 'in_progress' | 'converted' | 'junk' | 'all';

export interface InboxQuery {
  scope: InboxScope;
  status: InboxStatus;
  channel?: string;
  search?: string;
  /** Keyset: items whose activity is older than this (activity, id). */
  before?: { at: Date; id: string };
  limit: number;
}

export interface InboxItem {
  id: string;
  status: 'new' | 'in_progress' | 'converted' | 'junk';
  kind: 'new' | 'repeat';
  channel: string;
  team: string | null;
  responsible: string | null;
  needsCallback: boolean;
  contactId: string;
  contactName: string | null;
  activityAt: Date;
  lastText: string | null;
  lastSubject: string | null;
  lastDirection: 'in' | 'out' | null;
  lastKind: 'message' | 'call' | null;
  readAt: Date | null;
}

/** The identities a search box text could be: a phone in any format, an email. */
export function searchIdentities(text: string, policy: IdentityPolicy): Identity[] {
  const out: Identity[] = [];
  const t = text.trim();
  if (t.includes('@')) {
    const r = normalizeIdentity({ kind: 'email', value: t }, policy);
    if (r.ok) out.push(r.identity);
  } else if (/\d{5,}/.test(t.replace(/\D/g, ''))) {
    const r = normalizeIdentity({ kind: 'phone', value: t }, policy);
    if (r.ok) out.push(r.identity);
  }
  return out;
}

/**
 * The manager's inbox: their own leads and their teams' unassigned queue (scope `default`), only their own
 * (`mine`) or everything their teams have (`team`); newest activity first. Visibility is always limited to what
 * the person may see, whatever the filters say.
 */
export async function listInbox(
  sql: Sql,
  user: WebUser,
  q: InboxQuery,
  policy: IdentityPolicy,
): Promise<InboxItem[]> {
  let contactIds: string[] | undefined;
  let nameLike: string | undefined;
  if (q.search?.trim()) {
    const ids = searchIdentities(q.search, policy);
    if (ids.length > 0) contactIds = (await contactsByIdentities(sql, ids)).map((c) => c.id);
    else nameLike = `%${q.search.trim().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    if (contactIds?.length === 0) return [];
  }
  const visible = user.all ? sql`true` : sql`(l.team = ANY(${user.teams}) OR l.responsible = ${user.login})`;
  const scope =
    q.scope === 'mine'
      ? sql`l.responsible = ${user.login}`
      : q.scope === 'team'
        ? sql`true`
        : sql`(l.responsible = ${user.login} OR l.responsible IS NULL)`;
  const status =
    q.status === 'all'
      ? sql`true`
      : q.status === 'open'
        ? sql`l.status IN ('new', 'in_progress')`
        : sql`l.status = ${q.status}`;
  return sql<InboxItem[]>`
    SELECT * FROM (
      SELECT l.id, l.status, l.kind, l.channel, l.team, l.responsible, l.needs_callback,
             c.id AS contact_id, c.name AS contact_name,
             coalesce(a.occurred_at, l.created_at) AS activity_at,
             left(a.body, 200) AS last_text, a.subject AS last_subject, a.direction AS last_direction,
             a.kind AS last_kind, r.read_at
      FROM leads l
      JOIN contacts c ON c.id = l.contact_id
      LEFT JOIN LATERAL (
        SELECT m.occurred_at, m.body, m.subject, m.direction, m.kind FROM messages m
        WHERE m.lead_id = l.id ORDER BY m.occurred_at DESC LIMIT 1) a ON true
      LEFT JOIN web_lead_reads r ON r.login = ${user.login} AND r.lead_id = l.id
      WHERE ${visible} AND ${scope} AND ${status}
        ${q.channel ? sql`AND l.channel = ${q.channel}` : sql``}
        ${contactIds ? sql`AND l.contact_id = ANY(${contactIds}::uuid[])` : sql``}
        ${nameLike ? sql`AND c.name ILIKE ${nameLike}` : sql``}
    ) x
    ${q.before ? sql`WHERE (x.activity_at, x.id) < (${q.before.at}, ${q.before.id})` : sql``}
    ORDER BY x.activity_at DESC, x.id DESC LIMIT ${q.limit}`;
}

/** Whether the item has activity the person has not seen. */
export const isUnread = (i: Pick<InboxItem, 'activityAt' | 'readAt'>) =>
  i.readAt === null || i.activityAt.getTime() > i.readAt.getTime();

/** Records that the person opened the lead (everything up to now is read). */
export async function markLeadRead(sql: Sql, login: string, leadId: string, now: Date): Promise<void> {
  await sql`
    INSERT INTO web_lead_reads (login, lead_id, read_at) VALUES (${login}, ${leadId}, ${now})
    ON CONFLICT (login, lead_id) DO UPDATE SET read_at = greatest(web_lead_reads.read_at, excluded.read_at)`;
}

/**
 * A cheap fingerprint of what the inbox shows (for live updates): the newest activity among the visible open
 * leads and how many of them are unread for the person.
 */
export async function inboxPulse(sql: Sql, user: WebUser): Promise<{ version: string; unread: number }> {
  const visible = user.all ? sql`true` : sql`(l.team = ANY(${user.teams}) OR l.responsible = ${user.login})`;
  const [row] = await sql<{ latest: Date | null; updated: Date | null; unread: number }[]>`
    SELECT max(coalesce(a.occurred_at, l.created_at)) AS latest, max(l.updated_at) AS updated,
           count(*) FILTER (WHERE r.read_at IS NULL OR coalesce(a.occurred_at, l.created_at) > r.read_at)::int AS unread
    FROM leads l
    LEFT JOIN LATERAL (
      SELECT m.occurred_at FROM messages m WHERE m.lead_id = l.id ORDER BY m.occurred_at DESC LIMIT 1) a ON true
    LEFT JOIN web_lead_reads r ON r.login = ${user.login} AND r.lead_id = l.id
    WHERE ${visible} AND l.status IN ('new', 'in_progress')
      AND (l.responsible = ${user.login} OR l.responsible IS NULL)`;
  const count = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM leads l WHERE ${visible}`;
  return {
    version: `${row?.latest?.toISOString() ?? '-'}|${row?.updated?.toISOString() ?? '-'}|${count[0]?.n ?? 0}`,
    unread: row?.unread ?? 0,
  };
}
