import type { Queryable as Sql } from '../../db/queryable.js';
import type { PhoneRegionResolver } from '../../geo/index.js';
import { formatPhone, regionLabel } from '../format.js';
import { ru } from '../i18n/ru.js';

/** What the incoming-call card shows (rendered by the page's script with textContent, never as HTML). */
export interface CallCard {
  callId: string;
  state: 'ringing' | 'answered';
  direction: 'in' | 'out' | null;
  phone: string | null;
  known: boolean;
  name: string | null;
  company: string | null;
  region: string | null;
  lead: { id: string; status: string; label: string } | null;
  deal: { title: string | null; stage: string | null } | null;
  lastMessages: { channel: string; direction: string; text: string }[];
}

/**
 * Calls ringing or answered right now on the person's PBX login (any leg), with what the manager needs to
 * know about the caller before picking up.
 */
export async function liveCallsFor(
  sql: Sql,
  person: { login: string; pbxLogin?: string | undefined },
  now: Date,
  regions?: PhoneRegionResolver,
): Promise<CallCard[]> {
  const pbx = person.pbxLogin ?? person.login;
  const since = new Date(now.getTime() - 2 * 3_600_000);
  const calls = await sql<
    {
      id: string;
      state: 'ringing' | 'answered';
      direction: 'in' | 'out' | null;
      clientPhone: string | null;
      contactId: string | null;
      name: string | null;
      company: string | null;
      region: string | null;
    }[]
  >`
    SELECT ca.id, ca.state, ca.direction, ca.client_phone, c.id AS contact_id, c.name, co.name AS company, c.region
    FROM calls ca
    -- A ringing call is linked to its contact only when it ends: until then, the number says who it is.
    LEFT JOIN contacts c ON c.id = coalesce(ca.contact_id,
      (SELECT i.contact_id FROM identities i WHERE i.kind = 'phone' AND i.value = ca.client_phone))
    LEFT JOIN companies co ON co.id = c.company_id
    WHERE ca.state IN ('ringing', 'answered') AND ca.updated_at > ${since}
      AND (ca.agent = ${person.login} OR ca.agent_pbx = ${pbx} OR EXISTS (
        SELECT 1 FROM call_legs l WHERE l.call_id = ca.id AND l.state IN ('ringing', 'answered')
          AND (l.agent = ${person.login} OR l.agent_pbx = ${pbx})))
    ORDER BY ca.updated_at DESC LIMIT 3`;
  return Promise.all(
    calls.map(async (call) => {
      let lead: CallCard['lead'] = null;
      let deal: CallCard['deal'] = null;
      let lastMessages: CallCard['lastMessages'] = [];
      if (call.contactId) {
        const [l] = await sql<{ id: string; status: string }[]>`
          SELECT id, status FROM leads WHERE contact_id = ${call.contactId} ORDER BY created_at DESC LIMIT 1`;
        const [d] = await sql<{ title: string | null; stage: string | null }[]>`
          SELECT title, stage FROM deals WHERE contact_id = ${call.contactId} AND status = 'active'
          ORDER BY updated_at DESC LIMIT 1`;
        lastMessages = await sql<{ channel: string; direction: string; text: string }[]>`
          SELECT channel, direction, left(coalesce(subject || ': ', '') || coalesce(body, ''), 160) AS text
          FROM messages WHERE contact_id = ${call.contactId} AND kind = 'message'
          ORDER BY occurred_at DESC LIMIT 3`;
        lead = l ? { ...l, label: ru.status[l.status as keyof typeof ru.status] ?? l.status } : null;
        deal = d ?? null;
      }
      const id = call.region ?? (call.clientPhone && regions ? regionName(regions, call.clientPhone) : null);
      const region = id ? regionLabel(id) : null;
      return {
        callId: call.id,
        state: call.state,
        direction: call.direction,
        phone: call.clientPhone ? formatPhone(call.clientPhone) : null,
        known: call.contactId !== null,
        name: call.name,
        company: call.company,
        region,
        lead,
        deal,
        lastMessages,
      };
    }),
  );
}

function regionName(regions: PhoneRegionResolver, phone: string): string | null {
  const r = regions.resolve(phone);
  return r ? r.region : null;
}
