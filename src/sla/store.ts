import type { Sql } from 'postgres';
import type { DeliveryChannel } from '../config/sla.js';
import type { Queryable } from '../db/queryable.js';
import type { PlannedDelivery } from './recipients.js';

export type AlertStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
export const ALERT_STATUSES: readonly AlertStatus[] = ['pending', 'sending', 'sent', 'failed', 'cancelled'];

export interface OpenLead {
  id: string;
  team: string | null;
  responsible: string | null;
  status: string;
  firstContactAt: Date;
  createdAt: Date;
}

/**
 * Leads still `new`, created since `since` and first contacted by `before`, keyset-paged by (created_at, id).
 * The window is on when Switchboard created the lead, not on the sender's time: a lead that arrives with an old
 * first-contact time is still alerted.
 */
export async function newLeadsPage(
  sql: Queryable,
  f: { since: Date; before: Date; after?: { at: Date; id: string }; limit: number },
): Promise<OpenLead[]> {
  return sql<OpenLead[]>`
    SELECT id, team, responsible, status, first_contact_at, created_at FROM leads
    WHERE status = 'new' AND created_at >= ${f.since} AND first_contact_at <= ${f.before}
      ${f.after ? sql`AND (created_at, id) > (${f.after.at}, ${f.after.id})` : sql``}
    ORDER BY created_at, id LIMIT ${f.limit}`;
}

/** Leads still `new` that were created before the lookback window: no longer alerted, so counted and reported. */
export async function leadsBeyondLookback(
  sql: Queryable,
  since: Date,
): Promise<{ count: number; oldest: string[] }> {
  const [row] = await sql<{ count: number; oldest: string[] | null }[]>`
    SELECT count(*)::int AS count,
           (array_agg(id::text ORDER BY created_at))[1:5] AS oldest
    FROM leads WHERE status = 'new' AND created_at < ${since}`;
  return { count: row?.count ?? 0, oldest: row?.oldest ?? [] };
}

/** For each lead, the highest repeat that already fired per step. */
export async function firedSteps(
  sql: Queryable,
  leadIds: readonly string[],
): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  if (leadIds.length === 0) return out;
  const rows = await sql<{ leadId: string; stepId: string; repeatNo: number }[]>`
    SELECT lead_id, step_id, max(repeat_no)::int AS repeat_no FROM sla_steps
    WHERE lead_id = ANY(${leadIds as string[]}::uuid[]) GROUP BY lead_id, step_id`;
  for (const r of rows) {
    const m = out.get(r.leadId) ?? new Map<string, number>();
    out.set(r.leadId, m);
    m.set(r.stepId, r.repeatNo);
  }
  return out;
}

export interface StepOccurrence {
  leadId: string;
  stepId: string;
  repeatNo: number;
  team: string | null;
  dueAt: Date;
  deliveries: readonly PlannedDelivery[];
}

const key = (o: { leadId: string; stepId: string; repeatNo: number }) =>
  `${o.leadId}|${o.stepId}|${o.repeatNo}`;

/**
 * Fires step occurrences: records each with its deliveries in one transaction, only for leads still new
 * (their rows are share-locked, so a concurrent "taken into work" either commits first and nothing fires,
 * or waits for this) and only occurrences that never fired (ON CONFLICT DO NOTHING on sla_steps: another
 * daemon firing the same occurrence gets nothing back). Returns the occurrences this call fired.
 */
export async function fireSteps(
  sql: Sql,
  now: Date,
  occurrences: readonly StepOccurrence[],
): Promise<StepOccurrence[]> {
  if (occurrences.length === 0) return [];
  return sql.begin(async (tx) => {
    const leadIds = [...new Set(occurrences.map((o) => o.leadId))];
    const open = new Set(
      (
        await tx<{ id: string }[]>`
          SELECT id FROM leads WHERE id = ANY(${leadIds}::uuid[]) AND status = 'new' ORDER BY id FOR SHARE`
      ).map((r) => r.id),
    );
    const candidates = occurrences.filter((o) => open.has(o.leadId));
    if (candidates.length === 0) return [];
    const inserted = await tx<{ leadId: string; stepId: string; repeatNo: number }[]>`
      INSERT INTO sla_steps ${tx(
        candidates.map((o) => ({
          lead_id: o.leadId,
          step_id: o.stepId,
          repeat_no: o.repeatNo,
          team: o.team,
          due_at: o.dueAt,
          fired_at: now,
        })),
      )} ON CONFLICT DO NOTHING RETURNING lead_id, step_id, repeat_no`;
    const won = new Set(inserted.map(key));
    const fired = candidates.filter((o) => won.has(key(o)));
    const rows = fired.flatMap((o) =>
      o.deliveries.map((d) => ({
        lead_id: o.leadId,
        step_id: o.stepId,
        repeat_no: o.repeatNo,
        team: o.team,
        recipient: d.recipient,
        channel: d.channel,
        status: d.channel === 'none' ? 'failed' : 'pending',
        due_at: o.dueAt,
        next_attempt_at: now,
        last_error: d.error ?? null,
        created_at: now,
        updated_at: now,
      })),
    );
    // Chunks keep a statement under the protocol's 65535 parameters.
    for (let i = 0; i < rows.length; i += 2000)
      await tx`INSERT INTO sla_notifications ${tx(rows.slice(i, i + 2000))} ON CONFLICT DO NOTHING`;
    return fired;
  });
}

/** Pending deliveries of leads that were handled meanwhile are cancelled (they never go out). */
export async function cancelHandled(sql: Queryable, now: Date): Promise<number> {
  const rows = await sql`
    UPDATE sla_notifications n SET status = 'cancelled', last_error = 'lead handled before sending', updated_at = ${now}
    FROM leads l
    WHERE n.lead_id = l.id AND n.status = 'pending' AND l.status <> 'new'
    RETURNING n.id`;
  return rows.length;
}

/** A delivery claimed for sending (never a `none` row: those are failed when planned). */
export type ClaimedDelivery = Pick<
  AlertRow,
  'id' | 'leadId' | 'stepId' | 'repeatNo' | 'team' | 'recipient' | 'attempts' | 'dueAt'
> & { channel: DeliveryChannel };

/**
 * Claims due deliveries for `instance`: pending ones whose time has come and `sending` ones whose lease
 * expired (their sender died between claim and confirmation). The claim commits before anything is sent,
 * so it survives a crash; SKIP LOCKED lets several daemons claim disjoint rows.
 */
export async function claimDue(
  sql: Queryable,
  o: { instance: string; now: Date; leaseMs: number; limit: number },
): Promise<ClaimedDelivery[]> {
  const staleBefore = new Date(o.now.getTime() - o.leaseMs);
  return sql<ClaimedDelivery[]>`
    UPDATE sla_notifications SET status = 'sending', claimed_by = ${o.instance}, claimed_at = ${o.now},
      attempts = attempts + 1, updated_at = ${o.now}
    WHERE id IN (
      SELECT id FROM sla_notifications
      WHERE (status = 'pending' AND next_attempt_at <= ${o.now})
         OR (status = 'sending' AND claimed_at <= ${staleBefore})
      ORDER BY next_attempt_at, id LIMIT ${o.limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING id, lead_id, step_id, repeat_no, team, recipient, channel, attempts, due_at`;
}

/**
 * Settles a claimed delivery, fenced by the claim: if the lease expired and another instance re-claimed the
 * row, this instance's late outcome is not written. Returns false then.
 */
export async function settle(
  sql: Queryable,
  id: string,
  instance: string,
  now: Date,
  outcome:
    | { status: 'sent' }
    | { status: 'pending'; nextAttemptAt: Date; error: string }
    | { status: 'failed' | 'cancelled'; error: string },
): Promise<boolean> {
  const error = outcome.status === 'sent' ? null : outcome.error;
  const next = outcome.status === 'pending' ? outcome.nextAttemptAt : now;
  const rows = await sql`
    UPDATE sla_notifications SET status = ${outcome.status}, last_error = ${error}, next_attempt_at = ${next},
      sent_at = ${outcome.status === 'sent' ? now : null}, updated_at = ${now}
    WHERE id = ${id} AND claimed_by = ${instance} AND status = 'sending'
    RETURNING id`;
  return rows.length === 1;
}

export interface LeadForAlert {
  id: string;
  status: string;
  channel: string;
  team: string | null;
  responsible: string | null;
  firstContactAt: Date;
  clientName: string | null;
  phone: string | null;
  email: string | null;
}

/** The lead as an alert describes it: its current status, assignee, and the client's name and first phone/email. */
export async function leadForAlert(sql: Queryable, leadId: string): Promise<LeadForAlert | undefined> {
  const [row] = await sql<LeadForAlert[]>`
    SELECT l.id, l.status, l.channel, l.team, l.responsible, l.first_contact_at, c.name AS client_name,
      (SELECT value FROM identities WHERE contact_id = c.id AND kind = 'phone' ORDER BY verified DESC, created_at LIMIT 1) AS phone,
      (SELECT value FROM identities WHERE contact_id = c.id AND kind = 'email' ORDER BY verified DESC, created_at LIMIT 1) AS email
    FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE l.id = ${leadId}`;
  return row;
}

export interface AlertFilter {
  team?: string;
  status?: AlertStatus;
  leadId?: string;
  since?: Date;
  until?: Date;
  /** Keyset cursor: rows created strictly before (created_at, id). */
  before?: { createdAt: Date; id: string };
  limit: number;
}

export interface AlertRow {
  id: string;
  leadId: string;
  stepId: string;
  repeatNo: number;
  team: string | null;
  recipient: string;
  channel: string;
  status: AlertStatus;
  dueAt: Date;
  attempts: number;
  nextAttemptAt: Date;
  sentAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Deliveries, newest first. `since`/`until` bound the time the step became due. */
export async function listAlerts(sql: Queryable, f: AlertFilter): Promise<AlertRow[]> {
  return sql<AlertRow[]>`
    SELECT id, lead_id, step_id, repeat_no, team, recipient, channel, status, due_at, attempts, next_attempt_at,
      sent_at, last_error, created_at, updated_at
    FROM sla_notifications WHERE true
      ${f.team ? sql`AND team = ${f.team}` : sql``}
      ${f.status ? sql`AND status = ${f.status}` : sql``}
      ${f.leadId ? sql`AND lead_id = ${f.leadId}` : sql``}
      ${f.since ? sql`AND due_at >= ${f.since}` : sql``}
      ${f.until ? sql`AND due_at < ${f.until}` : sql``}
      ${f.before ? sql`AND (created_at, id) < (${f.before.createdAt}, ${f.before.id})` : sql``}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit}`;
}
