import { z } from '@hono/zod-openapi';
import { strictObject } from '../core/unknown-fields.js';

const login = z.string().min(1).max(64);

export const companyBodySchema = strictObject({
  name: z.string().max(500).nullish(),
  inn: z
    .string()
    .regex(/^(\d{10}|\d{12})$/, 'an INN: 10 or 12 digits')
    .nullish(),
  region: z.string().max(20).nullish(),
  clientType: z.string().max(50).nullish(),
  responsible: login.nullish(),
}).openapi('CompanyUpsert');

export const contactBodySchema = strictObject({
  name: z.string().max(300).nullish(),
  phones: z.array(z.string().max(100)).max(50).default([]),
  emails: z.array(z.string().max(320)).max(50).default([]),
  companyExternalId: z.string().min(1).max(200).nullish(),
  clientType: z.string().max(50).nullish(),
  region: z.string().max(20).nullish(),
  responsible: login.nullish(),
  /** Links the CRM contact to a contact Switchboard created (e.g. from a new_lead webhook). */
  contactId: z.uuid().optional(),
}).openapi('ContactUpsert');

export const dealBodySchema = strictObject({
  contactExternalId: z.string().min(1).max(200).nullish(),
  contactId: z.uuid().optional(),
  companyExternalId: z.string().min(1).max(200).nullish(),
  title: z.string().max(500).nullish(),
  stage: z.string().max(200).nullish(),
  status: z.enum(['active', 'won', 'lost']),
  responsible: login.nullish(),
})
  .refine((d) => d.contactExternalId || d.contactId || d.companyExternalId, {
    message: 'a deal needs contactExternalId, contactId or companyExternalId',
    path: ['contactExternalId'],
  })
  .openapi('DealUpsert');

export const leadPatchSchema = strictObject({
  status: z.enum(['new', 'in_progress', 'converted', 'junk']).optional(),
  responsible: login.nullable().optional(),
  /** On conversion: the CRM deal the lead became. */
  dealExternalId: z.string().min(1).max(200).optional(),
  comment: z.string().max(2000).optional(),
})
  .refine((p) => p.status !== undefined || p.responsible !== undefined || p.dealExternalId !== undefined, {
    message: 'nothing to change: give status, responsible or dealExternalId',
    path: ['status'],
  })
  .openapi('LeadPatch');

export type CompanyBody = z.infer<typeof companyBodySchema>;
export type ContactBody = z.infer<typeof contactBodySchema>;
export type DealBody = z.infer<typeof dealBodySchema>;
export type LeadPatch = z.infer<typeof leadPatchSchema>;
