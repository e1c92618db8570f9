import { lockNames } from '../db/locks.js';
import type { Queryable } from '../db/queryable.js';
import { findIdentities } from '../db/repos/identities.js';
import { suggestMerge } from '../db/repos/merge-suggestions.js';
import { type Identity, identityKey } from '../identity/identity.js';

/** One Bitrix24 contact, mapped and normalized, ready for the set-based upsert. */
export interface BulkContact {
  externalId: string;
  name: string | null;
  companyExternalId: string | null;
  responsible: string | null;
  /** Normalized: phones, emails, and the messenger ids from IM. */
  identities: Identity[];
}

/**
 * The CRM contact upsert of `upsertContact` (src/crm/crm-sync.ts), for a whole page in the caller's
 * transaction with a fixed number of statements: the same outcome per contact (created, updated, or linked
 * to the prospect already known by one of its identities; an identity owned by another contact becomes a
 * merge suggestion; CRM identities no longer listed are removed; one audit row each), without a round trip
 * per row. Two contacts of one page that share an identity: the first keeps it, as when applied in order.
 */
export async function upsertContactsBulk(
  tx: Queryable,
  contacts: readonly BulkContact[],
  actor: string,
): Promise<{ ids: string[]; mergeSuggestions: number }> {
  if (contacts.length === 0) return { ids: [], mergeSuggestions: 0 };
  const all = contacts.flatMap((c) => c.identities);
  await lockNames(tx, [...contacts.map((c) => `crm-contact|${c.externalId}`), ...all.map(identityKey)]);

  const companyExternals = [
    ...new Set(contacts.flatMap((c) => (c.companyExternalId ? [c.companyExternalId] : []))),
  ];
  const companies = new Map<string, string>();
  if (companyExternals.length > 0) {
    const rows = await tx<{ id: string; externalId: string }[]>`
      INSERT INTO companies (external_id) SELECT unnest(${companyExternals}::text[])
      ON CONFLICT (external_id) DO UPDATE SET external_id = excluded.external_id RETURNING id, external_id`;
    for (const r of rows) companies.set(r.externalId, r.id);
  }

  const existing = new Map<string, string>();
  for (const r of await tx<{ id: string; externalId: string }[]>`
      SELECT id, external_id FROM contacts WHERE external_id = ANY(${contacts.map((c) => c.externalId)}::text[])
      FOR UPDATE`)
    existing.set(r.externalId, r.id);
  const owners = await findIdentities(tx, all);
  const ownerOf = new Map(owners.map((o) => [identityKey(o), o.contactId]));
  // Prospects (no CRM id yet) that own one of the identities: candidates to be linked, not duplicated.
  const ownerIds = [...new Set(owners.map((o) => o.contactId))];
  const prospects = new Set(
    ownerIds.length === 0
      ? []
      : (
          await tx<{ id: string }[]>`
          SELECT id FROM contacts WHERE id = ANY(${ownerIds}::uuid[]) AND external_id IS NULL FOR UPDATE`
        ).map((r) => r.id),
  );

  const idOf = new Map<string, string>();
  const outcome = new Map<string, 'created' | 'updated' | 'linked'>();
  const fresh: string[] = [];
  for (const c of contacts) {
    const known = existing.get(c.externalId);
    if (known) {
      idOf.set(c.externalId, known);
      outcome.set(c.externalId, 'updated');
      continue;
    }
    const prospect = c.identities
      .map((i) => ownerOf.get(identityKey(i)))
      .find((id) => id && prospects.has(id));
    if (prospect) {
      prospects.delete(prospect);
      idOf.set(c.externalId, prospect);
      outcome.set(c.externalId, 'linked');
    } else fresh.push(c.externalId);
  }
  if (fresh.length > 0)
    for (const r of await tx<{ id: string; externalId: string }[]>`
        INSERT INTO contacts (external_id) SELECT unnest(${fresh}::text[]) RETURNING id, external_id`) {
      idOf.set(r.externalId, r.id);
      outcome.set(r.externalId, 'created');
    }

  const ids = contacts.map((c) => idOf.get(c.externalId)!);
  await tx`
    UPDATE contacts c SET external_id = v.ext, name = coalesce(v.name, c.name), company_id = v.company,
      client_type = NULL, region = NULL, responsible = v.responsible, status = 'client', updated_at = now()
    FROM unnest(${ids}::uuid[], ${contacts.map((c) => c.externalId)}::text[],
                ${contacts.map((c) => c.name)}::text[],
                ${contacts.map((c) => (c.companyExternalId ? companies.get(c.companyExternalId)! : null))}::uuid[],
                ${contacts.map((c) => c.responsible)}::text[]) AS v(id, ext, name, company, responsible)
    WHERE c.id = v.id`;

  const add: { contact: string; identity: Identity }[] = [];
  const verify: Identity[] = [];
  const listed: { contact: string; identity: Identity }[] = [];
  const suggestions: { contactId: string; otherContactId: string; identity: Identity; externalId: string }[] =
    [];
  contacts.forEach((c, n) => {
    const id = ids[n]!;
    for (const identity of c.identities) {
      const key = identityKey(identity);
      const owner = ownerOf.get(key);
      listed.push({ contact: id, identity });
      if (!owner) {
        add.push({ contact: id, identity });
        ownerOf.set(key, id);
      } else if (owner === id) verify.push(identity);
      else suggestions.push({ contactId: id, otherContactId: owner, identity, externalId: c.externalId });
    }
  });
  if (add.length > 0)
    await tx`
      INSERT INTO identities (contact_id, kind, value, verified, source)
      SELECT contact_id, kind, value, true, 'crm'
      FROM unnest(${add.map((a) => a.contact)}::uuid[], ${add.map((a) => a.identity.kind)}::text[],
                  ${add.map((a) => a.identity.value)}::text[]) AS t(contact_id, kind, value)
      ON CONFLICT (kind, value) DO NOTHING`;
  if (verify.length > 0)
    await tx`
      UPDATE identities i SET verified = true
      FROM unnest(${verify.map((i) => i.kind)}::text[], ${verify.map((i) => i.value)}::text[]) AS t(kind, value)
      WHERE i.kind = t.kind AND i.value = t.value AND NOT i.verified`;
  for (const s of suggestions)
    await suggestMerge(tx, {
      contactId: s.contactId,
      otherContactId: s.otherContactId,
      identity: s.identity,
      reason: `CRM contact ${s.externalId} lists a ${s.identity.kind} of another contact`,
    });
  // Only contacts that existed before can have CRM identities that are no longer listed.
  const known = ids.filter((_, n) => outcome.get(contacts[n]!.externalId) !== 'created');
  if (known.length > 0)
    await tx`
    DELETE FROM identities i WHERE i.contact_id = ANY(${known}::uuid[]) AND i.source = 'crm'
      AND NOT EXISTS (
        SELECT 1 FROM unnest(${listed.map((l) => l.contact)}::uuid[], ${listed.map((l) => l.identity.kind)}::text[],
                             ${listed.map((l) => l.identity.value)}::text[]) AS t(contact_id, kind, value)
        WHERE t.contact_id = i.contact_id AND t.kind = i.kind AND t.value = i.value)`;
  await tx`
    INSERT INTO audit_log (actor, action, entity_type, entity_id, reason, data)
    SELECT ${actor}, action, 'contact', entity_id, reason, data::jsonb
    FROM unnest(${contacts.map((c) => `contact.${outcome.get(c.externalId)!}`)}::text[], ${ids}::uuid[],
                ${contacts.map((c) => `CRM push ${c.externalId}`)}::text[],
                ${contacts.map((c) =>
                  JSON.stringify({
                    identities: c.identities.length,
                    mergeSuggestionIds: suggestions.filter((s) => s.externalId === c.externalId).length,
                  }),
                )}::text[]) AS t(action, entity_id, reason, data)`;
  return { ids, mergeSuggestions: suggestions.length };
}

/** Companies of a page: one multi-row upsert, one audit row each. */
export async function upsertCompaniesBulk(
  tx: Queryable,
  companies: readonly { externalId: string; name: string | null; responsible: string | null }[],
  actor: string,
): Promise<void> {
  if (companies.length === 0) return;
  await tx`
    WITH up AS (
      INSERT INTO companies (external_id, name, responsible)
      SELECT * FROM unnest(${companies.map((c) => c.externalId)}::text[], ${companies.map((c) => c.name)}::text[],
                           ${companies.map((c) => c.responsible)}::text[])
      ON CONFLICT (external_id) DO UPDATE SET name = excluded.name, inn = NULL, region = NULL, client_type = NULL,
        responsible = excluded.responsible, updated_at = now()
      RETURNING id, external_id, (xmax = 0) AS inserted)
    INSERT INTO audit_log (actor, action, entity_type, entity_id, reason)
    SELECT ${actor}, CASE WHEN inserted THEN 'company.created' ELSE 'company.updated' END, 'company', id,
           'CRM push ' || external_id
    FROM up`;
}
