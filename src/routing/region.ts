import {
  type FederalDistrictCode,
  federalDistrictOf,
  isValidRegionId,
  macroTerritoryById,
  type PhoneRegionResolver,
  type RegionId,
  regionByCity,
  regionByCode,
  regionByInn,
} from '../geo/index.js';

/** Where the lead's region came from, in priority order. */
export type RegionSource =
  | 'crm_contact'
  | 'crm_company'
  | 'form'
  | 'numbering_plan'
  | 'area_code'
  | 'channel_region'
  | 'channel_city'
  | 'inn'
  | 'unknown';

/** Everything region resolution may use. */
export interface RegionInput {
  contactRegion: string | null;
  companyRegion: string | null;
  /** Explicit region from a form field. */
  formRegion?: string | undefined;
  /** The sender's phones (E.164), own identities first. */
  phones: readonly string[];
  /** A region the channel reports (Avito item region), as a code or a name. */
  regionHint?: string | undefined;
  /** A city the channel reports (VK profile city, Avito item city). */
  city?: string | undefined;
  companyInn: string | null;
}

/** The region fact stored in the routing trace. */
export interface RegionFact {
  /** ISO 3166-2 code or macro-territory id; null when unknown. */
  region: RegionId | null;
  name: string | null;
  federalDistrict: FederalDistrictCode | null;
  source: RegionSource;
  why: string;
  /** Signals that were present but gave no region, and why (for the trace). */
  notes: string[];
}

/** Parses a region written by a person or a CRM: an ISO code, a macro id, a subject or city name. */
export function parseRegionValue(value: string): RegionId | undefined {
  const trimmed = value.trim();
  if (isValidRegionId(trimmed)) return trimmed;
  if (isValidRegionId(trimmed.toUpperCase())) return trimmed.toUpperCase() as RegionId;
  return regionByCity(trimmed);
}

/**
 * Resolves the lead's region in priority order: explicit region from the CRM contact, the CRM company, a
 * form; the phone numbers through the numbering plan (or landline area codes); the channel's region and city;
 * the INN's tax-office subject; else unknown. Pure (the phone resolver is an in-memory index).
 */
export function resolveRegion(input: RegionInput, phones: PhoneRegionResolver): RegionFact {
  const notes: string[] = [];
  const found = (region: RegionId, source: RegionSource, why: string): RegionFact => ({
    region,
    name: regionByCode(region)?.name ?? macroTerritoryById(region)?.name ?? null,
    federalDistrict: federalDistrictOf(region) ?? null,
    source,
    why,
    notes,
  });
  const explicit: [RegionSource, string | null | undefined, string][] = [
    ['crm_contact', input.contactRegion, 'stated by the CRM on the contact'],
    ['crm_company', input.companyRegion, 'stated by the CRM on the company'],
    ['form', input.formRegion, 'stated in the form'],
  ];
  for (const [source, value, why] of explicit) {
    if (!value) continue;
    const region = parseRegionValue(value);
    if (region) return found(region, source, why);
    notes.push(`${source}: "${value}" is not a known region`);
  }
  for (const phone of input.phones) {
    const tail = `phone …${phone.slice(-4)}`;
    if (!phone.startsWith('+7')) {
      notes.push(`${tail}: foreign number`);
      continue;
    }
    const hit = phones.resolve(phone);
    if (hit) {
      const why =
        hit.source === 'numbering_plan'
          ? `${tail} is in a numbering-plan range${macroTerritoryById(hit.region) ? ' shared by several subjects' : ''}`
          : `${tail}: landline area code (numbering plan has no range for it)`;
      return found(hit.region, hit.source, why);
    }
    notes.push(`${tail}: no region (Kazakhstan, non-geographic, or the mobile registry is not loaded)`);
  }
  if (input.regionHint) {
    const region = parseRegionValue(input.regionHint);
    if (region) return found(region, 'channel_region', `the channel reports region "${input.regionHint}"`);
    notes.push(`channel region "${input.regionHint}" is not a known region`);
  }
  if (input.city) {
    const region = regionByCity(input.city);
    if (region) return found(region, 'channel_city', `the channel reports city "${input.city}"`);
    notes.push(`channel city "${input.city}" is not in the city table`);
  }
  if (input.companyInn) {
    const region = regionByInn(input.companyInn);
    if (region) return found(region, 'inn', `the company INN was issued by a tax office of ${region}`);
    notes.push('company INN: unknown tax-office code');
  }
  return {
    region: null,
    name: null,
    federalDistrict: null,
    source: 'unknown',
    why: 'no signal gave a region',
    notes,
  };
}
