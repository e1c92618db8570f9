import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import type { ConfigInput } from '../../src/config/schema.js';
import { hashPassword } from '../../src/web/password.js';
import { baseConfig } from './context.js';
import { PASSWORD } from './web.js';

/**
 * The dashboard's test company: partners (Moscow, supervisor head, manager ivanov) and retail (Yekaterinburg,
 * supervisor rozn, manager petrova), an admin, and an SLA ladder of two steps.
 */
export async function analyticsConfig(): Promise<ConfigInput> {
  const password = await hashPassword(PASSWORD);
  return {
    ...baseConfig,
    managers: [
      { login: 'ivanov', name: 'Иван Иванов', password },
      { login: 'petrova', name: 'Мария Петрова', password },
      { login: 'head', name: 'Анна Руководитель', password },
      { login: 'rozn', name: 'Олег Розничный', password },
      { login: 'admin', name: 'Админ', password, role: 'admin' },
    ],
    teams: [
      {
        id: 'partners',
        name: 'Партнёры',
        supervisor: 'head',
        members: ['ivanov'],
        timeZone: 'Europe/Moscow',
      },
      {
        id: 'retail',
        name: 'Розница',
        supervisor: 'rozn',
        members: ['petrova'],
        timeZone: 'Asia/Yekaterinburg',
      },
    ],
  };
}

/** The period the hand-written answers are for: 23–29 Nov 2026 in Moscow; the previous one is 16–22 Nov. */
export const PERIOD = { from: '2026-11-22T21:00:00.000Z', to: '2026-11-29T21:00:00.000Z' };

interface SeedLead {
  name: string;
  team: 'partners' | 'retail';
  kind: 'new' | 'repeat';
  status: 'new' | 'in_progress' | 'converted' | 'junk';
  channel: string;
  region: string | null;
  clientType: string;
  responsible: string | null;
  firstContactAt: string;
  /** Minutes from the first contact to «в работе» (taken_at). */
  takenAfter?: number;
  /** Minutes from the first contact to our first outbound message. */
  repliedAfter?: number;
  /** Minutes from the first contact of inbound messages that joined the open lead. */
  attachedAfter?: number[];
  queued?: boolean;
  /** SLA steps fired: [step, minutes after first contact]. */
  sla?: [string, number][];
  /** Alert deliveries: [step, recipient, channel, status]. */
  alerts?: [string, string, string, string][];
}

/**
 * Six leads in the period, two in the previous one, one older open lead and a message to an active deal. Every
 * figure the analytics tests expect is worked out by hand from this list (see test/analytics.test.ts).
 */
export const LEADS: SeedLead[] = [
  // partners (Moscow, UTC+3)
  {
    name: 'Пётр Первый',
    team: 'partners',
    kind: 'new',
    status: 'converted',
    channel: 'email',
    region: 'RU-MOW',
    clientType: 'partner',
    responsible: 'ivanov',
    firstContactAt: '2026-11-24T07:00:00Z',
    takenAfter: 10,
    repliedAfter: 5,
  },
  {
    name: 'Павел Второй',
    team: 'partners',
    kind: 'repeat',
    status: 'in_progress',
    channel: 'api',
    region: 'RU-SPE',
    clientType: 'partner',
    responsible: 'ivanov',
    firstContactAt: '2026-11-24T07:30:00Z',
    takenAfter: 30,
    repliedAfter: 20,
    attachedAfter: [60],
  },
  {
    name: 'Полина Третья',
    team: 'partners',
    kind: 'new',
    status: 'new',
    channel: 'email',
    region: null,
    clientType: 'partner',
    responsible: null,
    firstContactAt: '2026-11-25T12:00:00Z',
    queued: true,
    sla: [['first', 30]],
    alerts: [
      ['first', 'head', 'telegram', 'sent'],
      ['first', 'ivanov', 'inapp', 'sent'],
    ],
  },
  // retail (Yekaterinburg, UTC+5)
  {
    name: 'Роман Первый',
    team: 'retail',
    kind: 'new',
    status: 'junk',
    channel: 'api',
    region: 'RU-SVE',
    clientType: 'retail',
    responsible: 'petrova',
    firstContactAt: '2026-11-26T05:00:00Z',
    takenAfter: 60,
    repliedAfter: 90,
  },
  {
    name: 'Рита Вторая',
    team: 'retail',
    kind: 'new',
    status: 'converted',
    channel: 'api',
    region: 'RU-SVE',
    clientType: 'retail',
    responsible: 'petrova',
    firstContactAt: '2026-11-26T05:20:00Z',
    takenAfter: 20,
    repliedAfter: 2,
    attachedAfter: [5],
  },
  {
    name: 'Раиса Третья',
    team: 'retail',
    kind: 'repeat',
    status: 'new',
    channel: 'whatsapp',
    region: 'RU-MOW',
    clientType: 'retail',
    responsible: null,
    firstContactAt: '2026-11-28T16:00:00Z',
    sla: [
      ['first', 30],
      ['second', 90],
    ],
    alerts: [
      ['first', 'rozn', 'email', 'failed'],
      ['second', 'rozn', 'telegram', 'pending'],
    ],
  },
  // the previous period
  {
    name: 'Квинт Прошлый',
    team: 'partners',
    kind: 'new',
    status: 'converted',
    channel: 'email',
    region: 'RU-MOW',
    clientType: 'partner',
    responsible: 'ivanov',
    firstContactAt: '2026-11-18T09:00:00Z',
    takenAfter: 40,
    attachedAfter: [60],
  },
  {
    name: 'Кира Прошлая',
    team: 'retail',
    kind: 'new',
    status: 'in_progress',
    channel: 'api',
    region: 'RU-SVE',
    clientType: 'retail',
    responsible: 'petrova',
    firstContactAt: '2026-11-19T09:00:00Z',
    takenAfter: 120,
    sla: [['first', 30]],
    alerts: [['first', 'rozn', 'inapp', 'sent']],
  },
  // long before: still open, in petrova's load now
  {
    name: 'Ольга Давняя',
    team: 'retail',
    kind: 'new',
    status: 'in_progress',
    channel: 'email',
    region: 'RU-SVE',
    clientType: 'retail',
    responsible: 'petrova',
    firstContactAt: '2026-10-01T09:00:00Z',
    takenAfter: 15,
  },
];

const after = (iso: string, minutes: number) => new Date(new Date(iso).getTime() + minutes * 60_000);

/** Writes LEADS (and a message to an active deal on 27 Nov) straight into the tables, as the pipeline would. */
export async function seedAnalytics(sql: Sql): Promise<void> {
  let n = 0;
  for (const l of LEADS) {
    const contactId = randomUUID();
    const leadId = randomUUID();
    const conversationId = randomUUID();
    const first = new Date(l.firstContactAt);
    await sql`INSERT INTO contacts (id, name) VALUES (${contactId}, ${l.name})`;
    await sql`
      INSERT INTO leads (id, contact_id, kind, status, channel, account, team, responsible, routing, first_contact_at,
                         taken_at, closed_at, queued_at, created_at, updated_at)
      VALUES (${leadId}, ${contactId}, ${l.kind}, ${l.status}, ${l.channel}, 'main', ${l.team}, ${l.responsible},
              ${sql.json({ router: 'rules', facts: { clientType: { type: l.clientType }, region: { region: l.region } } })},
              ${first}, ${l.takenAfter === undefined ? null : after(l.firstContactAt, l.takenAfter)},
              ${l.status === 'converted' || l.status === 'junk' ? after(l.firstContactAt, 600) : null},
              ${l.queued ? first : null}, ${first}, ${first})`;
    await sql`
      INSERT INTO conversations (id, channel, account, thread_key, contact_id, lead_id, last_message_at)
      VALUES (${conversationId}, ${l.channel}, 'main', ${`t-${leadId}`}, ${contactId}, ${leadId}, ${first})`;
    const message = async (direction: 'in' | 'out', at: Date) =>
      sql`INSERT INTO messages (conversation_id, contact_id, lead_id, kind, direction, channel, account, external_id,
                                occurred_at)
          VALUES (${conversationId}, ${contactId}, ${leadId}, 'message', ${direction}, ${l.channel}, 'main',
                  ${`m-${++n}`}, ${at})`;
    await message('in', first);
    if (l.repliedAfter !== undefined) {
      // As the lead rules record an outbound message: the message, and the lead's first response.
      const at = after(l.firstContactAt, l.repliedAfter);
      await message('out', at);
      await sql`UPDATE leads SET first_response_at = ${at} WHERE id = ${leadId}`;
    }
    for (const m of l.attachedAfter ?? []) await message('in', after(l.firstContactAt, m));
    for (const [step, minutes] of l.sla ?? [])
      await sql`INSERT INTO sla_steps (lead_id, step_id, team, due_at, fired_at)
                VALUES (${leadId}, ${step}, ${l.team}, ${after(l.firstContactAt, minutes)}, ${after(l.firstContactAt, minutes)})`;
    for (const [step, recipient, channel, status] of l.alerts ?? []) {
      const at = after(l.firstContactAt, (l.sla ?? []).find((s) => s[0] === step)?.[1] ?? 0);
      await sql`INSERT INTO sla_notifications (lead_id, step_id, team, recipient, channel, status, due_at,
                                               next_attempt_at, created_at, updated_at)
                VALUES (${leadId}, ${step}, ${l.team}, ${recipient}, ${channel}, ${status}, ${at}, ${at}, ${at}, ${at})`;
    }
  }
  // A client with an active deal writes on 27 Nov: attached to the deal, no lead.
  const contactId = randomUUID();
  const dealId = randomUUID();
  const conversationId = randomUUID();
  const at = new Date('2026-11-27T10:00:00Z');
  await sql`INSERT INTO contacts (id, name, status) VALUES (${contactId}, 'Клиент Сделкин', 'client')`;
  await sql`INSERT INTO deals (id, external_id, contact_id, status) VALUES (${dealId}, 'D-1', ${contactId}, 'active')`;
  await sql`INSERT INTO conversations (id, channel, account, thread_key, contact_id, deal_id, last_message_at)
            VALUES (${conversationId}, 'email', 'main', 'deal-thread', ${contactId}, ${dealId}, ${at})`;
  await sql`INSERT INTO messages (conversation_id, contact_id, deal_id, kind, direction, channel, account, external_id,
                                  occurred_at)
            VALUES (${conversationId}, ${contactId}, ${dealId}, 'message', 'in', 'email', 'main', 'deal-m', ${at})`;
}
