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
