import type { Sql } from 'postgres';
import type { Bitrix24Config } from '../../config/crm.js';
import type { Clock } from '../../core/clock.js';
import type { LeadStatus } from '../../db/repos/leads.js';
import type { Logger } from '../../observability/logger.js';
import type { OutboxRow } from '../outbox/store.js';
import type { Deliver } from '../outbox/worker.js';
import { callEnded } from './calls.js';
import type { Bitrix24Client } from './client.js';
import { imFields } from './im.js';
import { b24IdOf, leadStatusToB24, type UserMap } from './map.js';

export const BITRIX24_SUBSCRIBER = 'bitrix24';
/** ORIGINATOR_ID of every lead Switchboard adds; ORIGIN_ID is the Switchboard lead id (reference §6). */
export const ORIGINATOR = 'switchboard';

/**
 * The write side, as the outbox's `bitrix24` subscriber (so it is ordered, retried and dead-lettered like
 * any receiver): lead.created -> crm.lead.add (once: a lost answer is found again by ORIGIN_ID before any
 * second add), message.created -> a timeline comment on the deal or lead, lead.updated -> its STATUS_ID.
 */
export function bitrix24Deliver(deps: {
  sql: Sql;
  client: Bitrix24Client;
  b24: Bitrix24Config;
  users: UserMap;
  clock: Clock;
  log: Logger;
}): Deliver {
  const { sql, client } = deps;

  const calls = callEnded({ ...deps, linkedLead: (id) => linked(id) });

  async function linked(leadId: string): Promise<string | undefined> {
    const [row] = await sql<
      { b24Id: string }[]
    >`SELECT b24_id::text AS b24_id FROM bitrix24_leads WHERE lead_id = ${leadId}`;
    return row?.b24Id;
  }
  async function link(leadId: string, b24Id: string) {
    await sql`INSERT INTO bitrix24_leads (lead_id, b24_id, created_at) VALUES (${leadId}, ${b24Id}, ${deps.clock()})
              ON CONFLICT (lead_id) DO NOTHING`;
  }

  async function leadCreated(data: Record<string, unknown>) {
    const leadId = String(data.leadId);
    if (await linked(leadId)) return;
    // A previous attempt may have added it and lost the answer: look before adding.
    const found = await client.call('crm.lead.list', {
      filter: { ORIGINATOR_ID: ORIGINATOR, ORIGIN_ID: leadId },
      select: ['ID'],
      start: -1,
    });
    const existing = Array.isArray(found.result)
      ? (found.result[0] as { ID?: string } | undefined)
      : undefined;
    if (existing?.ID) return link(leadId, String(existing.ID));

    const [contact] = await sql<
      { name: string | null; externalId: string | null; companyExternal: string | null }[]
    >`
      SELECT c.name, c.external_id, co.external_id AS company_external
      FROM contacts c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = ${String(data.contactId)}`;
    const identities = await sql<{ kind: string; value: string }[]>`
      SELECT kind, value FROM identities WHERE contact_id = ${String(data.contactId)} AND verified ORDER BY created_at`;
    const [message] = await sql<{ text: string | null }[]>`
      SELECT body AS text FROM messages WHERE id = ${String(data.messageId ?? '00000000-0000-0000-0000-000000000000')}`;
    const channel = String(data.channel);
    const responsible = deps.users.b24IdOf(data.responsible as string | null);
    const contactId = b24IdOf(contact?.externalId);
    const companyId = b24IdOf(contact?.companyExternal);
    const phones = identities
      .filter((i) => i.kind === 'phone')
      .map((i) => ({ VALUE: i.value, VALUE_TYPE: 'WORK' }));
    const emails = identities
      .filter((i) => i.kind === 'email')
      .map((i) => ({ VALUE: i.value, VALUE_TYPE: 'WORK' }));
    const im = imFields(identities);
    const added = await client.call('crm.lead.add', {
      fields: {
        TITLE: `${data.kind === 'repeat' ? 'Повторный лид' : 'Лид'}: ${contact?.name ?? phones[0]?.VALUE ?? emails[0]?.VALUE ?? channel}`,
        ...(contact?.name ? { NAME: contact.name } : {}),
        STATUS_ID: 'NEW',
        // Calls arrive on channel `phone`; the documented key for them is `telephony`.
        SOURCE_ID:
          deps.b24.leadSources[channel] ??
          (channel === 'phone' ? deps.b24.leadSources.telephony : undefined) ??
          deps.b24.defaultSource,
        SOURCE_DESCRIPTION: `${channel}/${String(data.account)}`,
        ...(responsible ? { ASSIGNED_BY_ID: Number(responsible) } : {}),
        ...(message?.text ? { COMMENTS: message.text.slice(0, 5000) } : {}),
        ...(phones.length ? { PHONE: phones } : {}),
        ...(emails.length ? { EMAIL: emails } : {}),
        ...(im.length ? { IM: im } : {}),
        ...(contactId ? { CONTACT_ID: Number(contactId) } : {}),
        ...(companyId ? { COMPANY_ID: Number(companyId) } : {}),
        ORIGINATOR_ID: ORIGINATOR,
        ORIGIN_ID: leadId,
      },
      params: { REGISTER_SONET_EVENT: 'Y' },
    });
    await link(leadId, String(added.result));
  }

  async function messageCreated(data: Record<string, unknown>) {
    // The message that opened a lead is already its COMMENTS; a call goes to the telephony log (call.ended).
    if (data.decision === 'new_lead' || data.decision === 'repeat_lead' || data.kind === 'call') return;
    let target: { type: 'deal' | 'lead'; id: string } | undefined;
    if (data.dealId) {
      const [deal] = await sql<
        { externalId: string }[]
      >`SELECT external_id FROM deals WHERE id = ${String(data.dealId)}`;
      const id = b24IdOf(deal?.externalId);
      if (id) target = { type: 'deal', id };
    }
    if (!target && data.leadId) {
      const id = await linked(String(data.leadId));
      if (id) target = { type: 'lead', id };
    }
    if (!target) return;
    const direction = data.direction === 'out' ? '→' : '←';
    const text = [data.subject, data.text].filter(Boolean).join('\n');
    await client.call('crm.timeline.comment.add', {
      fields: {
        ENTITY_ID: Number(target.id),
        ENTITY_TYPE: target.type,
        COMMENT: `${direction} ${String(data.channel)}: ${text}`.slice(0, 10_000),
      },
    });
  }

  async function leadUpdated(data: Record<string, unknown>) {
    const id = await linked(String(data.leadId));
    if (!id) return;
    const responsible = deps.users.b24IdOf(data.responsible as string | null);
    await client.call('crm.lead.update', {
      id: Number(id),
      fields: {
        STATUS_ID: leadStatusToB24(data.status as LeadStatus),
        ...(responsible ? { ASSIGNED_BY_ID: Number(responsible) } : {}),
      },
    });
  }

  return async (row: OutboxRow) => {
    switch (row.type) {
      case 'lead.created':
        return leadCreated(row.payload.data);
      case 'message.created':
        return messageCreated(row.payload.data);
      case 'lead.updated':
        return leadUpdated(row.payload.data);
      case 'call.ended':
        return calls(row.payload.data);
      case 'merge.done':
        return;
      default: {
        const _exhaustive: never = row.type;
        throw new Error(`unknown event ${String(_exhaustive)}`);
      }
    }
  };
}
