import type { Sql } from 'postgres';
import { UnprocessableError } from '../core/errors.js';
import { lockNames } from '../db/locks.js';
import type { Queryable } from '../db/queryable.js';
import { audit } from '../db/repos/audit.js';
import { markClient } from '../db/repos/contacts.js';
import { findIdentities } from '../db/repos/identities.js';
import { suggestMerge } from '../db/repos/merge-suggestions.js';
import { type Identity, type IdentityPolicy, identityKey, normalizeIdentity } from '../identity/identity.js';
import type { CompanyBody, ContactBody, DealBody } from './schemas.js';

export interface UpsertResult {
  id: string;
  outcome: 'created' | 'updated' | 'linked';
}

/** Companies and contacts referenced before the CRM pushed them get a placeholder row, filled in later. */
async function ensureCompany(tx: Queryable, externalId: string): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO companies (external_id) VALUES (${externalId})
    ON CONFLICT (external_id) DO UPDATE SET external_id = excluded.external_id RETURNING id`;
  return row!.id;
}

export async function upsertCompany(
  sql: Sql,
  externalId: string,
  body: CompanyBody,
  actor: string,
): Promise<UpsertResult> {
  return sql.begin(async (tx) => {
    const [row] = await tx<{ id: string; inserted: boolean }[]>`
      INSERT INTO companies (external_id, name, inn, region, client_type, responsible)
      VALUES (${externalId}, ${body.name ?? null}, ${body.inn ?? null}, ${body.region ?? null},
              ${body.clientType ?? null}, ${body.responsible ?? null})
      ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, inn = excluded.inn, region = excluded.region,
        client_type = excluded.client_type, responsible = excluded.responsible, updated_at = now()
      RETURNING id, (xmax = 0) AS inserted`;
    const outcome = row!.inserted ? 'created' : 'updated';
    await audit(tx, {
      actor,
      action: `company.${outcome}`,
      entityType: 'company',
      entityId: row!.id,
      reason: `CRM push ${externalId}`,
    });
    return { id: row!.id, outcome };
  });
}

export interface ContactUpsertResult extends UpsertResult {
  rejected: { field: string; reason: string }[];
  mergeSuggestionIds: string[];
}

/**
 * The CRM states who a contact is. If Switchboard already knows this person as a prospect (by one of the
 * pushed phones/emails, or by `contactId`), that contact is linked to the CRM id instead of creating a
 * second one. Identities owned by another CRM contact are not moved: they become merge suggestions.
 * CRM-sourced identities the CRM no longer lists are removed; identities learned from channels stay.
 */
export async function upsertContact(
  sql: Sql,
  externalId: string,
  body: ContactBody,
  policy: IdentityPolicy,
  actor: string,
): Promise<ContactUpsertResult> {
  const rejected: ContactUpsertResult['rejected'] = [];
  const identities: Identity[] = [];
  const collect = (kind: 'phone' | 'email', values: string[], field: string) =>
    values.forEach((value, i) => {
      const r = normalizeIdentity({ kind, value }, policy);
      if (r.ok) identities.push(r.identity);
      else rejected.push({ field: `${field}.${i}`, reason: r.reason });
    });
  collect('phone', body.phones, 'phones');
  collect('email', body.emails, 'emails');

  return sql.begin(async (tx) => {
    await lockNames(tx, [`crm-contact|${externalId}`, ...identities.map(identityKey)]);
    const owners = await findIdentities(tx, identities);
    const ownerOf = new Map(owners.map((o) => [identityKey(o), o.contactId]));
    const companyId = body.companyExternalId ? await ensureCompany(tx, body.companyExternalId) : null;

    let [current] = await tx<
      { id: string }[]
    >`SELECT id FROM contacts WHERE external_id = ${externalId} FOR UPDATE`;
    let outcome: UpsertResult['outcome'] = 'updated';
    if (!current) {
      const candidates = body.contactId
        ? [body.contactId]
        : identities.map((i) => ownerOf.get(identityKey(i)));
      for (const id of candidates) {
        if (!id) continue;
        [current] = await tx<{ id: string }[]>`
          SELECT id FROM contacts WHERE id = ${id} AND external_id IS NULL FOR UPDATE`;
        if (current) {
          outcome = 'linked';
          break;
        }
      }
      if (!current && body.contactId)
        throw new UnprocessableError(
          `contact ${body.contactId} does not exist or is linked to another CRM id`,
        );
    }
    if (!current) {
      [current] = await tx<
        { id: string }[]
      >`INSERT INTO contacts (external_id) VALUES (${externalId}) RETURNING id`;
      outcome = 'created';
    }
    const id = current!.id;
    await tx`
      UPDATE contacts SET external_id = ${externalId}, name = coalesce(${body.name ?? null}, name),
        company_id = ${companyId}, client_type = ${body.clientType ?? null}, region = ${body.region ?? null},
        responsible = ${body.responsible ?? null}, status = 'client', updated_at = now()
      WHERE id = ${id}`;

    const mergeSuggestionIds: string[] = [];
    for (const identity of identities) {
      const owner = ownerOf.get(identityKey(identity));
      if (!owner) {
        await tx`INSERT INTO identities (contact_id, kind, value, verified, source)
                 VALUES (${id}, ${identity.kind}, ${identity.value}, true, 'crm') ON CONFLICT (kind, value) DO NOTHING`;
      } else if (owner === id) {
        await tx`UPDATE identities SET verified = true WHERE kind = ${identity.kind} AND value = ${identity.value}`;
      } else {
        mergeSuggestionIds.push(
          await suggestMerge(tx, {
            contactId: id,
            otherContactId: owner,
            identity,
            reason: `CRM contact ${externalId} lists a ${identity.kind} of another contact`,
          }),
        );
      }
    }
    await tx`
      DELETE FROM identities WHERE contact_id = ${id} AND source = 'crm'
        AND NOT ((kind, value) IN (SELECT * FROM unnest(${identities.map((i) => i.kind)}::text[], ${identities.map((i) => i.value)}::text[])))`;
    await audit(tx, {
      actor,
      action: `contact.${outcome}`,
      entityType: 'contact',
      entityId: id,
      reason: `CRM push ${externalId}`,
      data: { identities: identities.length, rejected: rejected.length, mergeSuggestionIds },
    });
    return { id, outcome, rejected, mergeSuggestionIds };
  });
}

export async function upsertDeal(
  sql: Sql,
  externalId: string,
  body: DealBody,
  actor: string,
): Promise<UpsertResult> {
  return sql.begin(async (tx) => {
    await lockNames(tx, [`crm-deal|${externalId}`]);
    const companyId = body.companyExternalId ? await ensureCompany(tx, body.companyExternalId) : null;
    let contactId: string | null = null;
    if (body.contactId) {
      const [c] = await tx<{ id: string }[]>`SELECT id FROM contacts WHERE id = ${body.contactId}`;
      if (!c) throw new UnprocessableError(`contact ${body.contactId} does not exist`);
      contactId = c.id;
    } else if (body.contactExternalId) {
      await lockNames(tx, [`crm-contact|${body.contactExternalId}`]);
      const [c] = await tx<{ id: string }[]>`
        INSERT INTO contacts (external_id, status, company_id) VALUES (${body.contactExternalId}, 'client', ${companyId})
        ON CONFLICT (external_id) DO UPDATE SET external_id = excluded.external_id RETURNING id`;
      contactId = c!.id;
    }
    const [row] = await tx<{ id: string; inserted: boolean }[]>`
      INSERT INTO deals (external_id, contact_id, company_id, title, stage, status, responsible)
      VALUES (${externalId}, ${contactId}, ${companyId}, ${body.title ?? null}, ${body.stage ?? null}, ${body.status},
              ${body.responsible ?? null})
      ON CONFLICT (external_id) DO UPDATE SET contact_id = excluded.contact_id, company_id = excluded.company_id,
        title = excluded.title, stage = excluded.stage, status = excluded.status,
        responsible = excluded.responsible, updated_at = now()
      RETURNING id, (xmax = 0) AS inserted`;
    // Having a deal makes the contact a known client (rule 6).
    if (contactId) await markClient(tx, contactId);
    const outcome = row!.inserted ? 'created' : 'updated';
    await audit(tx, {
      actor,
      action: `deal.${outcome}`,
      entityType: 'deal',
      entityId: row!.id,
      reason: `CRM push ${externalId}: ${body.status}${body.stage ? ` / ${body.stage}` : ''}`,
    });
    return { id: row!.id, outcome };
  });
}
