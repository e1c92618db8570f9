import type { Sql } from 'postgres';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../core/errors.js';
import { audit } from '../db/repos/audit.js';
import { markClient } from '../db/repos/contacts.js';
import { getLead, type LeadRow, type LeadStatus } from '../db/repos/leads.js';
import type { OutboxWriter } from './outbox/store.js';
import type { LeadPatch } from './schemas.js';

const ALLOWED: Record<LeadStatus, readonly LeadStatus[]> = {
  new: ['in_progress', 'converted', 'junk'],
  in_progress: ['converted', 'junk'],
  converted: [],
  junk: [],
};

/**
 * Changes a lead's status or responsible manager (from the API, the UI or CRM sync). Leaving `new` is
 * "taken into work" (the SLA clock stops); converted and junk are final. Conversion makes the contact a
 * known client, so their next request is a repeat lead.
 */
export async function patchLead(
  sql: Sql,
  id: string,
  patch: LeadPatch,
  ctx: { actor: string; clock: Clock; managers: ReadonlySet<string>; outbox?: OutboxWriter },
): Promise<LeadRow> {
  return sql.begin(async (tx) => {
    const lead = await getLead(tx, id, { forUpdate: true });
    if (!lead) throw new NotFoundError(`lead ${id}`);
    const now = ctx.clock();
    const changes: string[] = [];
    if (patch.status !== undefined && patch.status !== lead.status) {
      if (!ALLOWED[lead.status].includes(patch.status))
        throw new ConflictError(`lead is ${lead.status}: cannot move to ${patch.status}`);
      const takenAt = lead.takenAt ?? (lead.status === 'new' ? now : null);
      const closedAt = patch.status === 'converted' || patch.status === 'junk' ? now : null;
      await tx`UPDATE leads SET status = ${patch.status}, taken_at = ${takenAt}, closed_at = ${closedAt}, updated_at = ${now}
               WHERE id = ${id}`;
      if (patch.status === 'converted') await markClient(tx, lead.contactId);
      changes.push(`status ${lead.status} -> ${patch.status}`);
    }
    if (patch.responsible !== undefined && patch.responsible !== lead.responsible) {
      if (patch.responsible !== null && !ctx.managers.has(patch.responsible))
        throw new UnprocessableError(`unknown manager "${patch.responsible}"`, [
          { field: 'responsible', message: 'unknown manager' },
        ]);
      await tx`UPDATE leads SET responsible = ${patch.responsible}, updated_at = ${now} WHERE id = ${id}`;
      changes.push(`responsible ${lead.responsible ?? '-'} -> ${patch.responsible ?? '-'}`);
    }
    if (patch.dealExternalId !== undefined) {
      const [deal] = await tx<
        { id: string }[]
      >`SELECT id FROM deals WHERE external_id = ${patch.dealExternalId}`;
      if (!deal)
        throw new UnprocessableError(`deal ${patch.dealExternalId} does not exist`, [
          { field: 'dealExternalId', message: 'unknown deal' },
        ]);
      await tx`UPDATE leads SET deal_id = ${deal.id}, updated_at = ${now} WHERE id = ${id}`;
      changes.push(`deal -> ${patch.dealExternalId}`);
    }
    if (changes.length === 0) return lead;
    await audit(tx, {
      actor: ctx.actor,
      action: 'lead.updated',
      entityType: 'lead',
      entityId: id,
      reason: patch.comment ? `${changes.join('; ')} (${patch.comment})` : changes.join('; '),
    });
    const updated = (await getLead(tx, id))!;
    await ctx.outbox?.record(
      tx,
      [
        {
          type: 'lead.updated',
          occurredAt: now.toISOString(),
          origin: ctx.actor,
          data: {
            leadId: id,
            status: updated.status,
            previousStatus: lead.status,
            responsible: updated.responsible,
            dealId: updated.dealId,
            changes,
          },
        },
      ],
      now,
    );
    return updated;
  });
}
