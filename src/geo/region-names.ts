import { type MacroTerritoryId, macroTerritoryOf, REGIONS, type RegionCode } from '../core/regions.js';

/**
 * What a registry region spelling means:
 * - `subject`: one federal subject;
 * - `macro`: a joint range of a known macro-territory (e.g. Moscow + Moscow Oblast);
 * - `non_geographic`: a known spelling that names no single place ("Российская Федерация", or a list of
 *   subjects that is not a macro-territory, as in 8-800 ranges).
 */
export type RegionRef =
  | { readonly kind: 'subject'; readonly code: RegionCode }
  | { readonly kind: 'macro'; readonly id: MacroTerritoryId }
  | { readonly kind: 'non_geographic'; readonly reason: 'nationwide' | 'multi_region' };

// Spellings that the token normalisation below cannot reach: short or pre-rename forms seen in the
// "Регион" column and in older registry copies.
const ALIASES: ReadonlyArray<readonly [string, RegionCode]> = [
  ['Кемеровская область', 'RU-KEM'],
  ['Кузбасс', 'RU-KEM'],
  ['Чувашская Республика', 'RU-CU'],
  ['Чувашия', 'RU-CU'],
  ['Ханты-Мансийский автономный округ', 'RU-KHM'],
  ['Югра', 'RU-KHM'],
  ['Республика Северная Осетия', 'RU-SE'],
  ['Северная Осетия - Алания', 'RU-SE'],
  ['Республика Саха', 'RU-SA'],
  ['Якутия', 'RU-SA'],
  ['Республика Чувашия', 'RU-CU'],
  ['Удмуртия', 'RU-UD'],
  ['Чечня', 'RU-CE'],
  ['Кабардино-Балкария', 'RU-KB'],
  ['Карачаево-Черкесия', 'RU-KC'],
  ['ДНР', 'UA-14'],
  ['ЛНР', 'UA-09'],
];

const NATIONWIDE_KEY = 'российская федерация';

const EXPANSIONS: ReadonlyMap<string, string> = new Map([
  ['обл', 'область'],
  ['респ', 'республика'],
  ['ао', 'автономный округ'],
  ['аобл', 'автономная область'],
  ['г', ''],
  ['город', ''],
  ['гор', ''],
]);

/**
 * Normalises a single subject spelling to a comparison key: lower-case, ё→е, punctuation, hyphens and
 * brackets dropped, abbreviations expanded, the word "город" dropped, and the words de-duplicated and sorted,
 * so that "Республика Удмуртская" = "Удмуртская Республика" and "Ханты - Мансийский - Югра АО" =
 * "Ханты-Мансийский автономный округ - Югра".
 */
export function regionNameKey(name: string): string {
  const words = new Set<string>();
  for (const raw of name
    .toLowerCase()
    .replaceAll('ё', 'е')
    .split(/[\s.()/\\\-–—"«»]+/)) {
    if (raw === '') continue;
    const expanded = EXPANSIONS.get(raw) ?? raw;
    for (const word of expanded.split(' ')) if (word !== '') words.add(word);
  }
  return [...words].sort().join(' ');
}

const subjectsByKey: ReadonlyMap<string, RegionCode> = buildKeyMap();

function buildKeyMap(): Map<string, RegionCode> {
  const map = new Map<string, RegionCode>();
  const add = (name: string, code: RegionCode): void => {
    const key = regionNameKey(name);
    const existing = map.get(key);
    if (existing !== undefined && existing !== code) {
      throw new Error(`region name key collision: "${name}" -> ${code} and ${existing}`);
    }
    map.set(key, code);
  };
  for (const region of REGIONS) add(region.name, region.code);
  for (const [name, code] of ALIASES) add(name, code);
  return map;
}

/** The subject named by one spelling (no lists, no hierarchy), or undefined. */
export function subjectByName(name: string): RegionCode | undefined {
  return subjectsByKey.get(regionNameKey(name));
}

/**
 * Splits a registry cell into subject names: "," joins subjects (either order); "|" is a hierarchy
 * city|municipality|subject whose last element is the subject; the legacy "Регион" column also joins
 * subjects with " и " and " * ".
 */
export function splitRegionCell(cell: string): string[] {
  const names: string[] = [];
  for (const listItem of cell.split(',')) {
    const subject = listItem.slice(listItem.lastIndexOf('|') + 1);
    for (const part of subject.split(/\s+и\s+|\s*\*\s*/)) {
      const trimmed = part.trim();
      if (trimmed !== '') names.push(trimmed);
    }
  }
  return names;
}

/** True for the registry's "no value" markers (`-` or an empty cell). */
export function isBlankRegionCell(cell: string): boolean {
  const trimmed = cell.trim();
  return trimmed === '' || trimmed === '-';
}

/**
 * Resolves a "Территория ГАР" or "Регион" cell. Returns undefined when any part of it is an unknown spelling
 * (the caller must report it; see `parseNumberingPlan`), and for blank cells.
 */
export function resolveRegionCell(cell: string): RegionRef | undefined {
  const names = splitRegionCell(cell);
  if (names.length === 0) return undefined;
  const codes = new Set<RegionCode>();
  let nationwide = false;
  for (const name of names) {
    const key = regionNameKey(name);
    if (key === NATIONWIDE_KEY) {
      nationwide = true;
      continue;
    }
    const code = subjectsByKey.get(key);
    if (code === undefined) return undefined;
    codes.add(code);
  }
  if (nationwide) return { kind: 'non_geographic', reason: 'nationwide' };
  if (codes.size === 1) return { kind: 'subject', code: [...codes][0]! };
  const macro = macroTerritoryOf(codes);
  if (macro !== undefined) return { kind: 'macro', id: macro.id };
  return { kind: 'non_geographic', reason: 'multi_region' };
}
