import type { RegionCode } from '../core/regions.js';
import { nationalNumberOf } from './e164.js';

// Geographic ABC codes (ITU list for +7, as in libphonenumber's geocoding data, plus the codes of the
// subjects added since 2014). Longer prefixes win: 818 is Arkhangelsk but 81853 is Naryan-Mar (Nenets AO).
// 495 covers Moscow city and a ring of Moscow Oblast towns; it is mapped to the city, 496/498 to the oblast.
// Not mapped: 336 (Baikonur, not a subject), Zaporozhye Oblast (code not confirmed), 800-809 (non-geographic).
const AREA_CODES: ReadonlyArray<readonly [RegionCode, readonly string[]]> = [
  ['RU-BU', ['301']],
  ['RU-ZAB', ['302']],
  ['RU-UD', ['341']],
  ['RU-PER', ['342']],
  ['RU-SVE', ['343']],
  ['RU-TYU', ['345']],
  ['RU-KHM', ['346']],
  ['RU-BA', ['347']],
  ['RU-YAN', ['349']],
  ['RU-CHE', ['351']],
  ['RU-KGN', ['352']],
  ['RU-ORE', ['353']],
  ['UA-43', ['365']],
  ['RU-OMS', ['381']],
  ['RU-TOM', ['382']],
  ['RU-NVS', ['383']],
  ['RU-KEM', ['384']],
  ['RU-ALT', ['385']],
  ['RU-AL', ['388']],
  ['RU-KK', ['390']],
  ['RU-KYA', ['391']],
  ['RU-TY', ['394']],
  ['RU-IRK', ['395']],
  ['RU-KGD', ['401']],
  ['RU-SA', ['411']],
  ['RU-MAG', ['413']],
  ['RU-KAM', ['415']],
  ['RU-AMU', ['416']],
  ['RU-KHA', ['421']],
  ['RU-PRI', ['423']],
  ['RU-SAK', ['424']],
  ['RU-YEV', ['426']],
  ['RU-CHU', ['427']],
  ['RU-KRS', ['471']],
  ['RU-BEL', ['472']],
  ['RU-VOR', ['473']],
  ['RU-LIP', ['474']],
  ['RU-TAM', ['475']],
  ['RU-SMO', ['481']],
  ['RU-TVE', ['482']],
  ['RU-BRY', ['483']],
  ['RU-KLU', ['484']],
  ['RU-YAR', ['485']],
  ['RU-ORL', ['486']],
  ['RU-TUL', ['487']],
  ['RU-RYA', ['491']],
  ['RU-VLA', ['492']],
  ['RU-IVA', ['493']],
  ['RU-KOS', ['494']],
  ['RU-MOW', ['495', '499']],
  ['RU-MOS', ['496', '498']],
  ['RU-PSK', ['811']],
  ['RU-SPE', ['812']],
  ['RU-LEN', ['813']],
  ['RU-KR', ['814']],
  ['RU-MUR', ['815']],
  ['RU-NGR', ['816']],
  ['RU-VLG', ['817', '820']],
  ['RU-ARK', ['818']],
  ['RU-NEN', ['81853']],
  ['RU-KO', ['821']],
  ['RU-NIZ', ['831']],
  ['RU-KIR', ['833']],
  ['RU-MO', ['834']],
  ['RU-CU', ['835']],
  ['RU-ME', ['836']],
  ['RU-PNZ', ['841']],
  ['RU-ULY', ['842']],
  ['RU-TA', ['843', '855']],
  ['RU-VGG', ['844']],
  ['RU-SAR', ['845']],
  ['RU-SAM', ['846', '848']],
  ['RU-KL', ['847']],
  ['RU-AST', ['851']],
  ['UA-14', ['856']],
  ['UA-09', ['857']],
  ['UA-65', ['860']],
  ['RU-KDA', ['861', '862']],
  ['RU-ROS', ['863']],
  ['RU-STA', ['865', '879']],
  ['RU-KB', ['866']],
  ['RU-SE', ['867']],
  ['UA-40', ['869']],
  ['RU-CE', ['871']],
  ['RU-DA', ['872']],
  ['RU-IN', ['873']],
  ['RU-AD', ['877']],
  ['RU-KC', ['878']],
];

const byPrefix: ReadonlyMap<string, RegionCode> = new Map(
  AREA_CODES.flatMap(([region, prefixes]) => prefixes.map((prefix) => [prefix, region] as const)),
);
const PREFIX_LENGTHS = [...new Set([...byPrefix.keys()].map((p) => p.length))].sort((a, b) => b - a);

/** A region found from the area code alone. */
export interface AreaCodeMatch {
  readonly region: RegionCode;
  /** The matched prefix of the national number, e.g. "843" or "81853". */
  readonly areaCode: string;
}

/**
 * Region of a Russian landline (`+7` 3xx/4xx/8xx) by its area code, for when the registry is not loaded.
 * Mobile (9xx) numbers return undefined: their region exists only in the registry.
 */
export function regionByAreaCode(e164: string): AreaCodeMatch | undefined {
  if (nationalNumberOf(e164) === undefined) return undefined;
  const national = e164.slice(2);
  for (const length of PREFIX_LENGTHS) {
    const areaCode = national.slice(0, length);
    const region = byPrefix.get(areaCode);
    if (region !== undefined) return { region, areaCode };
  }
  return undefined;
}

/** Every prefix of the table with its region, for tests and diagnostics. */
export function landlineAreaCodes(): ReadonlyMap<string, RegionCode> {
  return byPrefix;
}
