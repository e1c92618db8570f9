import type { Sql } from 'postgres';
import type { AmocrmConfig } from '../../config/crm.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { periodic } from '../../core/periodic.js';
import { type Identity, type IdentityPolicy, normalizeIdentity } from '../../identity/identity.js';
import type { Logger } from '../../observability/logger.js';
import { type BulkContact, upsertContactsBulk } from '../bulk-upsert.js';
import { upsertDeal } from '../crm-sync.js';
import type { Subscriber } from '../outbox/index.js';
import type { OutboxRow } from '../outbox/store.js';
import { type AmocrmClient, createAmocrmClient } from './client.js';
import {
  type AmoContact,
  amoContactSchema,
  amoLeadSchema,
  amoUnsortedReplySchema,
  LOST_STATUS,
  WON_STATUS,
} from './schema.js';

const ACTOR = 'amocrm';
export const AMOCRM_SUBSCRIBER = 'amocrm';
const externalId = (id: number) => `amocrm:${id}`;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function contactOf(c: AmoContact, policy: IdentityPolicy): BulkContact {
  const identities: Identity[] = [];
  for (const field of c.custom_fields_values ?? []) {
    const kind = field.field_code === 'PHONE' ? 'phone' : field.field_code === 'EMAIL' ? 'email' : undefined;
    if (!kind) continue;
    for (const { value } of field.values) {
      const r = normalizeIdentity({ kind, value }, policy);
      if (r.ok && !identities.some((i) => i.kind === r.identity.kind && i.value === r.identity.value))
        identities.push(r.identity);
    }
  }
  const name = c.name?.trim() || [c.first_name, c.last_name].filter((p) => p?.trim()).join(' ') || null;
  return { externalId: externalId(c.id), name, companyExternalId: null, responsible: null, identities };
}

/**
 * A minimal amoCRM connector (reference §9): contacts and leads (amoCRM's leads are deals here) read in full
 * every `pullIntervalMs` through the same upserts as Bitrix24 (`amocrm:<id>`), and the outbox subscriber
 * `amocrm` that adds each new Switchboard lead as an incoming lead (`/api/v4/leads/unsorted/forms`).
 */
export function createAmocrm(deps: {
  sql: Sql;
  amo: AmocrmConfig;
  clock: Clock;
  log: Logger;
  policy: IdentityPolicy;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}) {
  const { sql, amo } = deps;
  const client: AmocrmClient = createAmocrmClient({
    baseUrl: amo.baseUrl,
    token: amo.token,
    clock: deps.clock,
    sleep: deps.sleep ?? realSleep,
    requestsPerSecond: amo.requestsPerSecond,
    timeoutMs: amo.timeoutMs,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });

  const parse = <T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, items: unknown[]) =>
    items.flatMap((raw) => {
      const r = schema.safeParse(raw);
      if (!r.success) deps.log.warn({}, 'amocrm record skipped: unexpected shape');
      return r.success ? [r.data as T] : [];
    });

  /**
   * `updated_at` of the version applied per record, so a full re-read only writes what changed (and does not
   * add an audit row per contact every pass). In memory: after a restart the first pass writes everything once.
   */
  const applied = new Map<string, number | undefined>();
  const changed = (key: string, updatedAt: number | undefined) =>
    updatedAt === undefined || applied.get(key) !== updatedAt;

  async function runOnce() {
    await client.list('/api/v4/contacts', 'contacts', async (items) => {
      const fresh = (parse(amoContactSchema, items) as AmoContact[]).filter((c) =>
        changed(`contact:${c.id}`, c.updated_at),
      );
      await sql.begin((tx) =>
        upsertContactsBulk(
          tx,
          fresh.map((c) => contactOf(c, deps.policy)),
          ACTOR,
        ),
      );
      for (const c of fresh) applied.set(`contact:${c.id}`, c.updated_at);
    });
    await client.list('/api/v4/leads?with=contacts', 'leads', async (items) => {
      for (const l of parse(amoLeadSchema, items) as ReturnType<typeof amoLeadSchema.parse>[]) {
        if (!changed(`lead:${l.id}`, l.updated_at)) continue;
        const contacts = l._embedded?.contacts ?? [];
        const main = contacts.find((c) => c.is_main) ?? contacts[0];
        if (!main) continue;
        await upsertDeal(
          sql,
          externalId(l.id),
          {
            title: l.name ?? null,
            stage: `${l.pipeline_id}:${l.status_id}`,
            status: l.status_id === WON_STATUS ? 'won' : l.status_id === LOST_STATUS ? 'lost' : 'active',
            contactExternalId: externalId(main.id),
          },
          ACTOR,
        );
        applied.set(`lead:${l.id}`, l.updated_at);
      }
    });
  }

  async function leadCreated(data: Record<string, unknown>, at: Date) {
    const leadId = String(data.leadId);
    const [done] = await sql`SELECT 1 FROM amocrm_leads WHERE lead_id = ${leadId}`;
    if (done) return;
    const [contact] = await sql<{ name: string | null }[]>`
      SELECT name FROM contacts WHERE id = ${String(data.contactId)}`;
    const identities = await sql<{ kind: string; value: string }[]>`
      SELECT kind, value FROM identities WHERE contact_id = ${String(data.contactId)} AND verified ORDER BY created_at`;
    const field = (code: string, kind: string) => {
      const values = identities.filter((i) => i.kind === kind).map((i) => ({ value: i.value }));
      return values.length > 0 ? [{ field_code: code, values }] : [];
    };
    const sentAt = Math.floor(at.getTime() / 1000);
    const reply = await client.post('/api/v4/leads/unsorted/forms', [
      {
        source_name: amo.sourceName,
        // Our lead id: amoCRM refuses duplicate data, and the request is found again by it.
        source_uid: leadId,
        ...(amo.pipelineId ? { pipeline_id: amo.pipelineId } : {}),
        created_at: sentAt,
        metadata: {
          form_id: 'switchboard',
          form_name: `${amo.sourceName}: ${String(data.channel)}`,
          form_page: `switchboard:${String(data.channel)}/${String(data.account)}`,
          form_sent_at: sentAt,
        },
        _embedded: {
          leads: [
            {
              name: `${data.kind === 'repeat' ? 'Повторный лид' : 'Лид'}: ${contact?.name ?? String(data.channel)}`,
            },
          ],
          contacts: [
            {
              ...(contact?.name ? { first_name: contact.name } : {}),
              custom_fields_values: [...field('PHONE', 'phone'), ...field('EMAIL', 'email')],
            },
          ],
        },
        request_id: '0',
      },
    ]);
    const parsed = amoUnsortedReplySchema.safeParse(reply);
    const item = parsed.success ? parsed.data._embedded.unsorted[0] : undefined;
    if (!item) throw new Error('amocrm unsorted/forms: no uid in the reply');
    await sql`
      INSERT INTO amocrm_leads (lead_id, unsorted_uid, amo_lead_id, created_at)
      VALUES (${leadId}, ${item.uid}, ${item._embedded?.leads?.[0]?.id ?? null}, ${deps.clock()})
      ON CONFLICT (lead_id) DO NOTHING`;
  }

  let lastError: string | undefined;
  const loop = periodic(
    async () => {
      await runOnce();
      lastError = undefined;
    },
    amo.pullIntervalMs,
    (err) => {
      lastError = errorMessage(err);
      deps.log.error({ err: lastError }, 'amocrm sync pass failed');
    },
  );

  const subscriber: Subscriber = {
    spec: { name: AMOCRM_SUBSCRIBER, events: ['lead.created'] },
    deliver: async (row: OutboxRow) => {
      if (row.type === 'lead.created') await leadCreated(row.payload.data, new Date(row.payload.occurredAt));
    },
  };
  return {
    runOnce,
    subscriber,
    status: () => ({ lastError: lastError ?? null }),
    start: loop.start,
    stop: loop.stop,
  };
}

export type AmocrmConnector = ReturnType<typeof createAmocrm>;
