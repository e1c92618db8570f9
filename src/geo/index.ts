export {
  FEDERAL_DISTRICTS,
  type FederalDistrictCode,
  federalDistrictOf,
  isMacroTerritoryId,
  isValidRegionCode,
  isValidRegionId,
  MACRO_TERRITORIES,
  type MacroTerritory,
  type MacroTerritoryId,
  macroTerritoryById,
  macroTerritoryOf,
  REGIONS,
  type Region,
  type RegionCode,
  type RegionId,
  regionByCode,
  regionCodesOf,
  timeZoneOf,
} from '../core/regions.js';
export { CITY_COUNT, regionByCity } from './cities.js';
export { nationalNumberOf } from './e164.js';
export { GeoDataError, type GeoDataErrorCode } from './errors.js';
export { regionByInn } from './inn.js';
export { type AreaCodeMatch, regionByAreaCode } from './landline-fallback.js';
export {
  type LoadedNumberingPlan,
  loadNumberingPlan,
  type NumberingPlanLoadStats,
} from './load-numbering-plan.js';
export {
  NUMBERING_PLAN_FILES,
  NUMBERING_PLAN_HEADER,
  type NumberingPlanStats,
  type ParsedNumberingPlan,
  parseNumberingPlan,
  type RegionColumn,
  readNumberingPlanFile,
  type UnknownSpelling,
} from './numbering-plan.js';
export {
  createPhoneRegionResolver,
  type PhoneRegion,
  type PhoneRegionResolver,
  type PhoneRegionResolverOptions,
  type PhoneRegionSource,
} from './phone-region.js';
export {
  buildRangeIndex,
  type NumberingPlanMatch,
  type NumberingPlanRange,
  type RangeIndex,
  type RangeIndexStats,
} from './range-index.js';
export { type RegionRef, resolveRegionCell, subjectByName } from './region-names.js';
