import type { Queryable as Sql } from '../queryable.js';

export type EntityType =
  | 'contact'
  | 'company'
  | 'deal'
  | 'lead'
  | 'message'
  | 'inbound_event'
  | 'conversation';

export interface AuditEntry {
  actor: string;
  action: string;
  entityType: EntityType;
  entityId: string;
  reason: string;
  data?: Record<string, unknown>;
  inboundEventId?: string;
}

/** Appends to the audit trail: every decision and every change, with its reason. */
export async function audit(sql: Sql, e: AuditEntry): Promise<void> {
  await sql`
    INSERT INTO audit_log (actor, action, entity_type, entity_id, reason, data, inbound_event_id)
    VALUES (${e.actor}, ${e.action}, ${e.entityType}, ${e.entityId}, ${e.reason},
            ${e.data ? sql.json(e.data as never) : null}, ${e.inboundEventId ?? null})`;
}

/** Appends several entries in one statement, in the given order (their ids ascend in it). */
export async function auditMany(sql: Sql, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({ ...e, data: e.data ?? null, inboundEventId: e.inboundEventId ?? null }));
  await sql`
    INSERT INTO audit_log (actor, action, entity_type, entity_id, reason, data, inbound_event_id)
    SELECT actor, action, "entityType", "entityId", reason, data, "inboundEventId"
    FROM ROWS FROM (jsonb_to_recordset(${sql.json(rows as never)}::jsonb) AS (actor text, action text,
      "entityType" text, "entityId" uuid, reason text, data jsonb, "inboundEventId" uuid)) WITH ORDINALITY AS t(
      actor, action, "entityType", "entityId", reason, data, "inboundEventId", n)
    ORDER BY n`;
}

export interface AuditRow {
  at: Date;
  actor: string;
  action: string;
  entityType: EntityType;
  entityId: string;
  reason: string;
  data: Record<string, unknown> | null;
  inboundEventId: string | null;
}

export async function auditTrail(sql: Sql, entityType: EntityType, entityId: string): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    SELECT at, actor, action, entity_type, entity_id, reason, data, inbound_event_id FROM audit_log
    WHERE entity_type = ${entityType} AND entity_id = ${entityId} ORDER BY id`;
}

/** Filters of the audit trail browser; every one is optional. */
export interface AuditSearch {
  from?: Date;
  to?: Date;
  /** A lead, contact or any entity id: its own rows, and for a contact the rows of its leads. */
  entityId?: string;
  /** Exact actor (`web:petrova`, `api:crm`, `pipeline`). */
  actor?: string;
  /** An action (`lead.updated`) or a prefix ending in `.` (`decision.`). */
  action?: string;
  /** Keyset cursor: rows with a smaller id (older); the id is a bigint, kept as its decimal text. */
  beforeId?: string;
  limit: number;
}

export interface AuditSearchRow extends AuditRow {
  id: string;
}

/** The audit trail, newest first, a page at a time. */
export async function searchAudit(sql: Sql, f: AuditSearch): Promise<AuditSearchRow[]> {
  const action = f.action
    ? f.action.endsWith('.')
      ? sql`AND action LIKE ${`${f.action.replace(/[\\%_]/g, '\\$&')}%`}`
      : sql`AND action = ${f.action}`
    : sql``;
  const entity = f.entityId
    ? sql`AND (entity_id = ${f.entityId}
          OR (entity_type = 'lead' AND entity_id IN (SELECT id FROM leads WHERE contact_id = ${f.entityId})))`
    : sql``;
  return sql<AuditSearchRow[]>`
    SELECT id::text AS id, at, actor, action, entity_type, entity_id, reason, data, inbound_event_id FROM audit_log
    WHERE true
      ${f.from ? sql`AND at >= ${f.from}` : sql``}
      ${f.to ? sql`AND at < ${f.to}` : sql``}
      ${f.actor ? sql`AND actor = ${f.actor}` : sql``}
      ${action}
      ${entity}
      ${f.beforeId !== undefined ? sql`AND id < ${f.beforeId}::bigint` : sql``}
    ORDER BY id DESC LIMIT ${f.limit}`;
}
