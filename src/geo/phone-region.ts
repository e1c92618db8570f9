import { type FederalDistrictCode, federalDistrictOf, type RegionId } from '../core/regions.js';
import { isKazakhNationalNumber, nationalNumberOf } from './e164.js';
import { regionByAreaCode } from './landline-fallback.js';
import type { RangeIndex } from './range-index.js';

/** Where a phone number's region came from. */
export type PhoneRegionSource = 'numbering_plan' | 'area_code';

/** The region of a Russian phone number. */
export interface PhoneRegion {
  /** ISO 3166-2 subject code, or a macro-territory id such as `RU-MOW+RU-MOS`. */
  readonly region: RegionId;
  readonly federalDistrict?: FederalDistrictCode;
  readonly source: PhoneRegionSource;
  /** Original range holder from the registry (not the current operator after MNP); absent for area codes. */
  readonly operator?: string;
}

/** Resolves a caller's region from a normalised `+7XXXXXXXXXX` number. */
export interface PhoneRegionResolver {
  /**
   * The region, or undefined for foreign numbers (not +7, or +7 6xx/7xx = Kazakhstan), malformed input,
   * non-geographic ranges, and mobile numbers when no registry index is loaded.
   */
  resolve(e164: string): PhoneRegion | undefined;
}

/** Dependencies of the resolver. */
export interface PhoneRegionResolverOptions {
  /** Registry index; without it only landline area codes resolve (the daemon still runs). */
  index?: RangeIndex;
}

/**
 * Creates the resolver: the registry index first, then the landline area-code table for numbers the index
 * does not cover (all of them when no index is loaded).
 */
export function createPhoneRegionResolver(options: PhoneRegionResolverOptions = {}): PhoneRegionResolver {
  const { index } = options;
  return {
    resolve(e164) {
      const national = nationalNumberOf(e164);
      if (national === undefined || isKazakhNationalNumber(national)) return undefined;
      const match = index?.lookupNational(national);
      if (match !== undefined) {
        return {
          region: match.region,
          federalDistrict: federalDistrictOf(match.region),
          source: 'numbering_plan',
          operator: match.operator,
        };
      }
      const landline = regionByAreaCode(e164);
      if (landline === undefined) return undefined;
      return {
        region: landline.region,
        federalDistrict: federalDistrictOf(landline.region),
        source: 'area_code',
      };
    },
  };
}
