import type { LeadStatus } from '../../db/repos/leads.js';
import type { CompanyBody, ContactBody, DealBody } from '../schemas.js';
import type { B24Company, B24Contact, B24Deal } from './schema.js';

/** Our external id of a Bitrix24 record (contacts, companies and deals each have their own id space). */
export const externalId = (id: string) => `bitrix24:${id}`;
export const b24IdOf = (external: string | null | undefined) =>
  external?.startsWith('bitrix24:') ? external.slice('bitrix24:'.length) : undefined;

/** Bitrix24 user ID <-> manager login. */
export interface UserMap {
  loginOf(b24UserId: string | null | undefined): string | null;
  b24IdOf(login: string | null | undefined): string | undefined;
}

const present = (v: string | null | undefined) => (v && v !== '0' ? v : null);
const values = (items: B24Contact['PHONE']) =>
  (items ?? []).map((i) => i.VALUE).filter((v) => v.trim() !== '');

export function contactBody(c: B24Contact, users: UserMap): ContactBody {
  const name = [c.NAME, c.LAST_NAME].filter((p) => p?.trim()).join(' ');
  const company = present(c.COMPANY_ID);
  return {
    name: name || null,
    phones: values(c.PHONE),
    emails: values(c.EMAIL),
    companyExternalId: company ? externalId(company) : null,
    responsible: users.loginOf(c.ASSIGNED_BY_ID),
  };
}

export function companyBody(c: B24Company, users: UserMap): CompanyBody {
  return { name: c.TITLE ?? null, responsible: users.loginOf(c.ASSIGNED_BY_ID) };
}

/** Stage semantics: P in progress -> active, S success -> won, F failure -> lost (reference §3). */
export function dealBody(
  d: B24Deal,
  primaryContactId: string | undefined,
  users: UserMap,
): DealBody | undefined {
  const contact = primaryContactId ?? present(d.CONTACT_ID);
  const company = present(d.COMPANY_ID);
  if (!contact && !company) return undefined;
  const semantic = d.STAGE_SEMANTIC_ID ?? 'P';
  const category = present(d.CATEGORY_ID) ?? '0';
  return {
    title: d.TITLE ?? null,
    // The pipeline (воронка) and the stage: `C1:WON` already names category 1; funnel 0 stages do not.
    stage: d.STAGE_ID
      ? category === '0' || d.STAGE_ID.startsWith('C')
        ? d.STAGE_ID
        : `C${category}:${d.STAGE_ID}`
      : null,
    status: semantic === 'S' ? 'won' : semantic === 'F' ? 'lost' : 'active',
    contactExternalId: contact ? externalId(contact) : null,
    companyExternalId: company ? externalId(company) : null,
    responsible: users.loginOf(d.ASSIGNED_BY_ID),
  };
}

/** A Bitrix24 lead status as a Switchboard lead status (portals add UC_… statuses: in work). */
export function leadStatusFromB24(status: string): LeadStatus {
  switch (status) {
    case 'NEW':
      return 'new';
    case 'CONVERTED':
      return 'converted';
    case 'JUNK':
      return 'junk';
    default:
      return 'in_progress';
  }
}

export function leadStatusToB24(status: LeadStatus): string {
  switch (status) {
    case 'new':
      return 'NEW';
    case 'in_progress':
      return 'IN_PROCESS';
    case 'converted':
      return 'CONVERTED';
    case 'junk':
      return 'JUNK';
    default: {
      const _exhaustive: never = status;
      throw new Error(`unknown status ${String(_exhaustive)}`);
    }
  }
}
