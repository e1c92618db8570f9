import type { Sql } from 'postgres';
import type { Bitrix24Config } from '../../config/crm.js';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { IdentityPolicy } from '../../identity/identity.js';
import type { Logger } from '../../observability/logger.js';
import { upsertCompany, upsertContact, upsertDeal } from '../crm-sync.js';
import { patchLead } from '../lead-updates.js';
import type { OutboxWriter } from '../outbox/store.js';
import { periodic } from '../periodic.js';
import { type Bitrix24Client, Bitrix24Error } from './client.js';
import { companyBody, contactBody, dealBody, externalId, leadStatusFromB24, type UserMap } from './map.js';
import {
  type B24Entity,
  b24CompanySchema,
  b24ContactSchema,
  b24DealSchema,
  b24LeadSchema,
  b24UserSchema,
  dealContactsSchema,
} from './schema.js';

const ACTOR = 'bitrix24';
const PULLED = ['company', 'contact', 'deal'] as const;
type Pulled = (typeof PULLED)[number];
const SELECT: Record<Pulled, string[]> = {
  contact: ['ID', 'NAME', 'LAST_NAME', 'COMPANY_ID', 'ASSIGNED_BY_ID', 'DATE_MODIFY', 'PHONE', 'EMAIL', 'IM'],
  company: ['ID', 'TITLE', 'ASSIGNED_BY_ID', 'DATE_MODIFY'],
  deal: [
    'ID',
    'TITLE',
    'STAGE_ID',
    'STAGE_SEMANTIC_ID',
    'CATEGORY_ID',
    'COMPANY_ID',
    'CONTACT_ID',
    'ASSIGNED_BY_ID',
    'DATE_MODIFY',
  ],
};
const TABLE: Record<Pulled, 'contacts' | 'companies' | 'deals'> = {
  contact: 'contacts',
  company: 'companies',
  deal: 'deals',
};

export interface Bitrix24SyncDeps {
  sql: Sql;
  config: Config;
  b24: Bitrix24Config;
  client: Bitrix24Client;
  policy: IdentityPolicy;
  clock: Clock;
  log: Logger;
  outbox: OutboxWriter;
}

/**
 * The read side: a full load by ID keyset, then incremental pulls by DATE_MODIFY from the cursor minus the
 * overlap; events (hints) re-read the record; every version is applied only if newer than the one applied
 * (bitrix24_records), through the same upserts as the CRM push API. Deletions: by event, and by the
 * reconciliation's ID diff.
 */
export function createBitrix24Sync(deps: Bitrix24SyncDeps) {
  const { sql, client, b24 } = deps;
  const byId = new Map<string, string>(Object.entries(b24.users));
  let usersLoadedAt = 0;

  const users: UserMap = {
    loginOf: (id) => (id ? (byId.get(id) ?? null) : null),
    b24IdOf: (login) => {
      for (const [id, l] of byId) if (l === login) return id;
      return undefined;
    },
  };

  /** Bitrix24 users matched to managers by email (explicit `users` entries win); hourly. */
  async function refreshUsers() {
    const now = deps.clock().getTime();
    if (now - usersLoadedAt < 3_600_000) return;
    const loginByEmail = new Map(
      deps.config.managers.flatMap((m) => (m.email ? [[m.email.toLowerCase(), m.login] as const] : [])),
    );
    for (let start = 0; ; ) {
      const page = await client.call('user.get', { FILTER: { ACTIVE: true }, start });
      for (const raw of Array.isArray(page.result) ? page.result : []) {
        const u = b24UserSchema.safeParse(raw);
        const login = u.success && u.data.EMAIL ? loginByEmail.get(u.data.EMAIL.toLowerCase()) : undefined;
        if (u.success && login && !(u.data.ID in b24.users)) byId.set(u.data.ID, login);
      }
      if (page.next === undefined) break;
      start = page.next;
    }
    usersLoadedAt = now;
  }

  /** Applies one version if it is newer than the one applied. True: applied. */
  async function applyIfNewer(
    entity: B24Entity,
    id: string,
    dateModify: string,
    apply: () => Promise<unknown>,
  ) {
    const at = new Date(dateModify);
    const [seen] = await sql<{ dateModify: Date }[]>`
      SELECT date_modify FROM bitrix24_records WHERE entity = ${entity} AND b24_id = ${id}`;
    if (seen && seen.dateModify.getTime() >= at.getTime()) return false;
    await apply();
    await sql`
      INSERT INTO bitrix24_records (entity, b24_id, date_modify) VALUES (${entity}, ${id}, ${at})
      ON CONFLICT (entity, b24_id) DO UPDATE SET date_modify = greatest(bitrix24_records.date_modify, excluded.date_modify)`;
    return true;
  }

  async function applyRows(entity: Pulled, rows: unknown[]): Promise<Date | undefined> {
    let newest: Date | undefined;
    let primary = new Map<string, string>();
    if (entity === 'deal') primary = await dealContacts(rows.map((r) => String((r as { ID: unknown }).ID)));
    for (const raw of rows) {
      const parsed =
        entity === 'contact'
          ? b24ContactSchema.safeParse(raw)
          : entity === 'company'
            ? b24CompanySchema.safeParse(raw)
            : b24DealSchema.safeParse(raw);
      if (!parsed.success) {
        deps.log.warn(
          { entity, err: parsed.error.issues[0]?.message },
          'bitrix24 record skipped: unexpected shape',
        );
        continue;
      }
      const r = parsed.data;
      const at = new Date(r.DATE_MODIFY);
      if (!newest || at > newest) newest = at;
      await applyIfNewer(entity, r.ID, r.DATE_MODIFY, () => upsert(entity, r, primary.get(r.ID)));
    }
    return newest;
  }

  async function upsert(entity: Pulled, r: { ID: string }, primaryContact?: string) {
    const ext = externalId(r.ID);
    switch (entity) {
      case 'contact':
        return upsertContact(sql, ext, contactBody(r as never, users), deps.policy, ACTOR);
      case 'company':
        return upsertCompany(sql, ext, companyBody(r as never, users), ACTOR);
      case 'deal': {
        const body = dealBody(r as never, primaryContact, users);
        return body ? upsertDeal(sql, ext, body, ACTOR) : undefined;
      }
      default: {
        const _exhaustive: never = entity;
        throw new Error(`unknown entity ${String(_exhaustive)}`);
      }
    }
  }

  /** Each deal's primary contact: one crm.deal.contact.items.get per deal, 50 per batch. */
  async function dealContacts(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      const { result } = await client.batch(
        Object.fromEntries(chunk.map((id) => [`d${id}`, ['crm.deal.contact.items.get', { id }]])),
      );
      for (const id of chunk) {
        const items = dealContactsSchema.safeParse(result[`d${id}`]);
        if (!items.success || items.data.length === 0) continue;
        out.set(id, (items.data.find((c) => c.IS_PRIMARY === 'Y') ?? items.data[0]!).CONTACT_ID);
      }
    }
    return out;
  }

  /** Full load (first run), then records modified since the cursor minus the overlap. */
  async function pull(entity: Pulled) {
    const [cursor] = await sql<{ fullLoadDone: boolean; dateModify: Date | null }[]>`
      SELECT full_load_done, date_modify FROM bitrix24_cursors WHERE entity = ${entity}`;
    const filter: Record<string, unknown> = {};
    if (cursor?.fullLoadDone && cursor.dateModify)
      filter['>=DATE_MODIFY'] = new Date(cursor.dateModify.getTime() - b24.overlapMs).toISOString();
    let newest = cursor?.dateModify ?? undefined;
    await client.listAll(`crm.${entity}.list`, { filter, select: SELECT[entity] }, async (rows) => {
      const n = await applyRows(entity, rows);
      if (n && (!newest || n > newest)) newest = n;
    });
    await sql`
      INSERT INTO bitrix24_cursors (entity, full_load_done, date_modify, updated_at)
      VALUES (${entity}, true, ${newest ?? null}, ${deps.clock()})
      ON CONFLICT (entity) DO UPDATE SET full_load_done = true, date_modify = excluded.date_modify,
        updated_at = excluded.updated_at`;
  }

  async function remove(entity: Pulled, id: string) {
    const ext = externalId(id);
    // A contact stays (its conversations and leads are ours): it is no longer a CRM contact.
    if (entity === 'contact') await sql`UPDATE contacts SET external_id = NULL WHERE external_id = ${ext}`;
    else await sql`DELETE FROM ${sql(TABLE[entity])} WHERE external_id = ${ext}`;
    await sql`DELETE FROM bitrix24_records WHERE entity = ${entity} AND b24_id = ${id}`;
  }

  const notFound = (err: unknown) =>
    err instanceof Bitrix24Error && err.status === 400 && /not found/i.test(err.message);

  /** Works off stored event hints: re-read the record; gone means deleted; else apply if newer. */
  async function processHints() {
    const hints = await sql<{ entity: B24Entity; b24Id: string; event: string }[]>`
      SELECT entity, b24_id::text AS b24_id, event FROM bitrix24_hints ORDER BY received_at LIMIT 500`;
    for (const h of hints) {
      try {
        const got = await client.call(`crm.${h.entity}.get`, { id: h.b24Id }).catch((err) => {
          if (notFound(err)) return undefined;
          throw err;
        });
        if (h.entity === 'lead') {
          if (got) await applyLead(got.result);
        } else if (!got) await remove(h.entity, h.b24Id);
        else await applyRows(h.entity, [got.result]);
        await sql`DELETE FROM bitrix24_hints WHERE entity = ${h.entity} AND b24_id = ${h.b24Id}`;
      } catch (err) {
        deps.log.warn({ entity: h.entity, b24Id: h.b24Id, err: errorMessage(err) }, 'bitrix24 hint failed');
      }
    }
  }

  /** A Bitrix24 lead we created changed status: the Switchboard lead follows (taken -> SLA clock stops). */
  async function applyLead(raw: unknown) {
    const l = b24LeadSchema.safeParse(raw);
    if (!l.success) return;
    const [link] = await sql<
      { leadId: string }[]
    >`SELECT lead_id FROM bitrix24_leads WHERE b24_id = ${l.data.ID}`;
    if (!link) return;
    await applyIfNewer('lead', l.data.ID, l.data.DATE_MODIFY, async () => {
      const status = leadStatusFromB24(l.data.STATUS_ID);
      await patchLead(
        sql,
        link.leadId,
        { status },
        {
          actor: ACTOR,
          clock: deps.clock,
          managers: new Set(deps.config.managers.map((m) => m.login)),
          outbox: deps.outbox,
        },
      ).catch((err) => {
        // A move the lead rules refuse (converted back to new): Switchboard keeps its state.
        deps.log.info({ leadId: link.leadId, err: errorMessage(err) }, 'bitrix24 lead status not applied');
      });
    });
  }

  /** The deletion diff: every ID Bitrix24 lists against ours; ours that it no longer has are deleted. */
  async function reconcile(entity: Pulled) {
    const theirs = new Set<string>();
    await client.listAll(`crm.${entity}.list`, { select: ['ID'] }, async (rows) => {
      for (const r of rows) theirs.add(String((r as { ID: unknown }).ID));
    });
    const ours = await sql<{ externalId: string }[]>`
      SELECT external_id FROM ${sql(TABLE[entity])} WHERE external_id LIKE 'bitrix24:%'`;
    let removed = 0;
    for (const { externalId: ext } of ours) {
      const id = ext.slice('bitrix24:'.length);
      if (!theirs.has(id)) {
        await remove(entity, id);
        removed++;
      }
    }
    await sql`UPDATE bitrix24_cursors SET reconciled_at = ${deps.clock()} WHERE entity = ${entity}`;
    return removed;
  }

  async function reconcileDue() {
    const rows = await sql<{ entity: Pulled; reconciledAt: Date | null }[]>`
      SELECT entity, reconciled_at FROM bitrix24_cursors WHERE full_load_done`;
    const now = deps.clock().getTime();
    for (const r of rows)
      if (!r.reconciledAt)
        await sql`UPDATE bitrix24_cursors SET reconciled_at = ${deps.clock()} WHERE entity = ${r.entity}`;
      else if (now - r.reconciledAt.getTime() >= b24.reconcileIntervalMs) await reconcile(r.entity);
  }

  /** One pass: users (hourly), companies, contacts, deals, event hints, the reconciliation when due. */
  async function runOnce() {
    await refreshUsers();
    for (const e of PULLED) await pull(e);
    await processHints();
    await reconcileDue();
  }

  let lastError: string | undefined;
  let lastRunAt: Date | undefined;
  const loop = periodic(
    async () => {
      await runOnce();
      lastError = undefined;
      lastRunAt = deps.clock();
    },
    b24.pullIntervalMs,
    (err) => {
      lastError = errorMessage(err);
      deps.log.error({ err: lastError }, 'bitrix24 sync pass failed');
    },
  );

  return {
    users,
    runOnce,
    processHints,
    reconcile,
    /** Asks for a pass now (an event arrived). */
    kick: loop.kick,
    status: () => ({ lastRunAt: lastRunAt?.toISOString() ?? null, lastError: lastError ?? null }),
    start: loop.start,
    stop: loop.stop,
  };
}

export type Bitrix24Sync = ReturnType<typeof createBitrix24Sync>;
