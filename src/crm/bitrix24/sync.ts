import type { Sql } from 'postgres';
import type { z } from 'zod';
import type { Bitrix24Config } from '../../config/crm.js';
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { periodic } from '../../core/periodic.js';
import type { Queryable } from '../../db/queryable.js';
import { type Identity, type IdentityPolicy, normalizeIdentity } from '../../identity/identity.js';
import type { Logger } from '../../observability/logger.js';
import { type BulkContact, upsertCompaniesBulk, upsertContactsBulk } from '../bulk-upsert.js';
import { upsertDeal } from '../crm-sync.js';
import { patchLead } from '../lead-updates.js';
import type { OutboxWriter } from '../outbox/store.js';
import { type Bitrix24Client, Bitrix24Error } from './client.js';
import { type ImAccounts, imIdentities } from './im.js';
import { companyBody, contactBody, dealBody, externalId, leadStatusFromB24, type UserMap } from './map.js';
import {
  type B24Company,
  type B24Contact,
  type B24Deal,
  type B24Entity,
  b24CompanySchema,
  b24ContactSchema,
  b24DealSchema,
  b24LeadSchema,
  b24UserSchema,
  dealContactsSchema,
} from './schema.js';

const ACTOR = 'bitrix24';
/**
 * Pages (of 50) written per transaction: 10 pages make one multi-row upsert of 500 contacts, which halves the
 * time per contact against one transaction per page (docs/benchmarks.md) and keeps a transaction short.
 */
const WRITE_PAGES = 10;
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
  const imAccounts: ImAccounts = {
    telegram: b24.imAccounts.telegram ?? deps.config.channels.telegram.map((a) => a.account),
    vk: b24.imAccounts.vk ?? deps.config.channels.vk.map((a) => a.account),
  };
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

  /** The rows of `entity` that are newer than the version applied (one query for the page). */
  async function newerOnly<T extends { ID: string; DATE_MODIFY: string }>(
    tx: Queryable,
    entity: B24Entity,
    rows: readonly T[],
  ): Promise<T[]> {
    if (rows.length === 0) return [];
    const seen = new Map(
      (
        await tx<{ b24Id: string; dateModify: Date }[]>`
          SELECT b24_id::text AS b24_id, date_modify FROM bitrix24_records
          WHERE entity = ${entity} AND b24_id = ANY(${rows.map((r) => r.ID)}::int8[])`
      ).map((r) => [r.b24Id, r.dateModify.getTime()]),
    );
    // A page may list a record twice (an edit between two batched pages): the newest wins.
    const newest = new Map<string, T>();
    for (const r of rows) {
      const at = Date.parse(r.DATE_MODIFY);
      const prev = newest.get(r.ID);
      if ((seen.get(r.ID) ?? -Infinity) < at && (!prev || Date.parse(prev.DATE_MODIFY) < at))
        newest.set(r.ID, r);
    }
    return [...newest.values()];
  }

  async function remember(
    tx: Queryable,
    entity: B24Entity,
    rows: readonly { ID: string; DATE_MODIFY: string }[],
    im?: readonly (unknown[] | null)[],
  ) {
    if (rows.length === 0) return;
    await tx`
      INSERT INTO bitrix24_records (entity, b24_id, date_modify, im)
      SELECT ${entity}, id, at, im::jsonb
      FROM unnest(${rows.map((r) => r.ID)}::int8[], ${rows.map((r) => new Date(r.DATE_MODIFY).toISOString())}::text[]::timestamptz[],
                  ${rows.map((_, i) => (im?.[i]?.length ? JSON.stringify(im[i]) : null))}::text[]) AS t(id, at, im)
      ON CONFLICT (entity, b24_id) DO UPDATE SET
        date_modify = greatest(bitrix24_records.date_modify, excluded.date_modify), im = excluded.im`;
  }

  function parseAll<S extends z.ZodType>(entity: Pulled, schema: S, rows: readonly unknown[]): z.infer<S>[] {
    const out: z.infer<S>[] = [];
    for (const raw of rows) {
      const parsed = schema.safeParse(raw);
      if (parsed.success) out.push(parsed.data);
      else
        deps.log.warn(
          { entity, err: parsed.error.issues[0]?.message },
          'bitrix24 record skipped: unexpected shape',
        );
    }
    return out;
  }

  function bulkContact(c: B24Contact): BulkContact & { kept: unknown[] } {
    const body = contactBody(c, users);
    const im = imIdentities(c.IM, imAccounts);
    const identities: Identity[] = [];
    for (const raw of [
      ...body.phones.map((value) => ({ kind: 'phone' as const, value })),
      ...body.emails.map((value) => ({ kind: 'email' as const, value })),
      ...im.identities,
    ]) {
      const r = normalizeIdentity(raw, deps.policy);
      if (r.ok && !identities.some((i) => i.kind === r.identity.kind && i.value === r.identity.value))
        identities.push(r.identity);
    }
    return {
      externalId: externalId(c.ID),
      name: body.name ?? null,
      companyExternalId: body.companyExternalId ?? null,
      responsible: body.responsible ?? null,
      identities,
      kept: im.kept,
    };
  }

  /**
   * One page: records newer than the version applied, written set-based in one transaction (contacts and
   * companies; deals one by one), with `after` (the full load's keyset position) in the same transaction.
   * Returns the newest DATE_MODIFY of the page.
   */
  async function applyPage(
    entity: Pulled,
    rows: readonly unknown[],
    after?: (tx: Queryable, newest: Date | undefined) => Promise<unknown>,
  ): Promise<Date | undefined> {
    const parsed = parseAll(
      entity,
      entity === 'contact' ? b24ContactSchema : entity === 'company' ? b24CompanySchema : b24DealSchema,
      rows,
    ) as (B24Contact | B24Company | B24Deal)[];
    let newest: Date | undefined;
    for (const r of parsed) {
      const at = new Date(r.DATE_MODIFY);
      if (!newest || at > newest) newest = at;
    }
    const primary =
      entity === 'deal' ? await dealContacts(parsed.map((r) => r.ID)) : new Map<string, string>();
    await sql.begin(async (tx) => {
      if (entity === 'contact') {
        const fresh = await newerOnly(tx, entity, parsed as B24Contact[]);
        const bulk = fresh.map(bulkContact);
        await upsertContactsBulk(tx, bulk, ACTOR);
        await remember(
          tx,
          entity,
          fresh,
          bulk.map((b) => b.kept),
        );
      } else if (entity === 'company') {
        const fresh = await newerOnly(tx, entity, parsed as B24Company[]);
        await upsertCompaniesBulk(
          tx,
          fresh
            .map((c) => ({ externalId: externalId(c.ID), ...companyBody(c, users) }))
            .map((c) => ({
              externalId: c.externalId,
              name: c.name ?? null,
              responsible: c.responsible ?? null,
            })),
          ACTOR,
        );
        await remember(tx, entity, fresh);
      }
      await after?.(tx, newest);
    });
    // Deals go one by one through the push API's upsert (its placeholders and client marks).
    if (entity === 'deal')
      for (const d of parsed as B24Deal[])
        await applyIfNewer('deal', d.ID, d.DATE_MODIFY, async () => {
          const body = dealBody(d, primary.get(d.ID), users);
          if (body) await upsertDeal(sql, externalId(d.ID), body, ACTOR);
        });
    return newest;
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

  /**
   * Full load (first run), by ID keyset in batches, each page committed with the keyset position (a restart
   * resumes there); then records modified since the cursor minus the overlap.
   */
  async function pull(entity: Pulled) {
    const [cursor] = await sql<{ fullLoadDone: boolean; lastId: string; dateModify: Date | null }[]>`
      SELECT full_load_done, last_id::text AS last_id, date_modify FROM bitrix24_cursors WHERE entity = ${entity}`;
    const full = !cursor?.fullLoadDone;
    const filter: Record<string, unknown> = {};
    if (!full && cursor?.dateModify)
      filter['>=DATE_MODIFY'] = new Date(cursor.dateModify.getTime() - b24.overlapMs).toISOString();
    let newest = cursor?.dateModify ?? undefined;
    const saveCursor = (tx: Queryable, lastId: string, seen: Date | undefined) => tx`
      INSERT INTO bitrix24_cursors (entity, last_id, date_modify, updated_at)
      VALUES (${entity}, ${lastId}, ${seen ?? null}, ${deps.clock()})
      ON CONFLICT (entity) DO UPDATE SET last_id = excluded.last_id,
        date_modify = greatest(bitrix24_cursors.date_modify, excluded.date_modify), updated_at = excluded.updated_at`;
    await client.listAll(
      `crm.${entity}.list`,
      {
        filter,
        select: SELECT[entity],
        afterId: full ? Number(cursor?.lastId ?? 0) : 0,
        pagesPerCall: WRITE_PAGES,
      },
      async (rows, lastId) => {
        const n = await applyPage(
          entity,
          rows,
          full ? (tx, seen) => saveCursor(tx, String(lastId), seen) : undefined,
        );
        if (n && (!newest || n > newest)) newest = n;
      },
    );
    await sql`
      INSERT INTO bitrix24_cursors (entity, full_load_done, date_modify, updated_at)
      VALUES (${entity}, true, ${newest ?? null}, ${deps.clock()})
      ON CONFLICT (entity) DO UPDATE SET full_load_done = true, last_id = 0,
        date_modify = greatest(bitrix24_cursors.date_modify, excluded.date_modify), updated_at = excluded.updated_at`;
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
        else await applyPage(h.entity, [got.result]);
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
