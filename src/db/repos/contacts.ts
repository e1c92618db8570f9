import { NotFoundError } from '../../core/errors.js';
import type { Queryable as Sql } from '../queryable.js';

export interface ContactRow {
  id: string;
  externalId: string | null;
  name: string | null;
  status: 'prospect' | 'client';
  companyId: string | null;
  clientType: string | null;
  region: string | null;
  responsible: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const CONTACT_COLUMNS = [
  'id',
  'external_id',
  'name',
  'status',
  'company_id',
  'client_type',
  'region',
  'responsible',
  'created_at',
  'updated_at',
];

/** Locks the contact row for the rest of the transaction: decisions about one person are serialized. */
export async function lockContact(tx: Sql, id: string): Promise<ContactRow> {
  const [row] = await tx<
    ContactRow[]
  >`SELECT ${tx(CONTACT_COLUMNS)} FROM contacts WHERE id = ${id} FOR UPDATE`;
  if (!row) throw new NotFoundError(`contact ${id}`);
  return row;
}

export async function getContact(sql: Sql, id: string): Promise<ContactRow | undefined> {
  const [row] = await sql<ContactRow[]>`SELECT ${sql(CONTACT_COLUMNS)} FROM contacts WHERE id = ${id}`;
  return row;
}

export async function createProspect(tx: Sql, name: string | null): Promise<ContactRow> {
  const [row] = await tx<ContactRow[]>`
    INSERT INTO contacts (name, status) VALUES (${name}, 'prospect') RETURNING ${tx(CONTACT_COLUMNS)}`;
  return row!;
}

/** A contact becomes a known client: pushed by the CRM, has a deal, or had a lead converted. */
export async function markClient(tx: Sql, id: string): Promise<void> {
  await tx`UPDATE contacts SET status = 'client', updated_at = now() WHERE id = ${id} AND status <> 'client'`;
}
