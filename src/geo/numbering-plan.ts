import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GeoDataError } from './errors.js';
import type { NumberingPlanRange } from './range-index.js';
import { isBlankRegionCell, type RegionRef, resolveRegionCell } from './region-names.js';

/** The header every registry file must have, byte for byte (after the BOM). */
export const NUMBERING_PLAN_HEADER = 'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН';

/** The four registry files published at opendata.digital.gov.ru/downloads/. */
export const NUMBERING_PLAN_FILES = ['ABC-3xx.csv', 'ABC-4xx.csv', 'ABC-8xx.csv', 'DEF-9xx.csv'] as const;

/** A registry column that holds a region spelling. */
export type RegionColumn = 'Территория ГАР' | 'Регион';

/** A region spelling that no table entry matched, with the number of rows it appeared on. */
export interface UnknownSpelling {
  readonly column: RegionColumn;
  readonly value: string;
  readonly rows: number;
}

/** What a parse saw; nothing is dropped without being counted here. */
export interface NumberingPlanStats {
  /** Data rows read (header and blank lines excluded). */
  rows: number;
  /** Rows that became ranges (a subject or macro-territory). */
  geographicRows: number;
  /** Rows whose region is "Российская Федерация" or a list that is no macro-territory; not indexed. */
  nonGeographicRows: number;
  /** Rows where neither column resolved; not indexed. Their spellings are in `unknownSpellings`. */
  unresolvedRows: number;
  /** Rows resolved only through the legacy "Регион" column because "Территория ГАР" was blank or unknown. */
  legacyColumnRows: number;
  /** Unknown spellings in either column, most frequent first. */
  unknownSpellings: UnknownSpelling[];
}

/** Parse result: geographic ranges in file order plus the stats. */
export interface ParsedNumberingPlan {
  ranges: NumberingPlanRange[];
  stats: NumberingPlanStats;
}

const GAR_COLUMN = 6;
const LEGACY_COLUMN = 5;

/**
 * Parses one registry file (`АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН`, UTF-8 with or
 * without BOM, `;`-separated, no quoting). "Территория ГАР" wins over the legacy "Регион" column.
 *
 * @throws GeoDataError `GEO_HEADER_MISMATCH` when the header differs in any way, `GEO_MALFORMED_ROW` for a
 *   row with the wrong field count, non-numeric bounds or a capacity that does not match, `GEO_ENCODING` for
 *   bytes that are not UTF-8.
 */
export function parseNumberingPlan(
  input: string | Uint8Array,
  options: { source?: string } = {},
): ParsedNumberingPlan {
  const source = options.source ?? 'numbering plan';
  const lines = decode(input, source).split('\n');
  checkHeader(stripCr(lines[0] ?? ''), source);

  const cache = new Map<string, RegionRef | undefined>();
  const unknown = new Map<string, { column: RegionColumn; value: string; rows: number }>();
  const resolve = (cell: string, column: RegionColumn): RegionRef | undefined => {
    if (isBlankRegionCell(cell)) return undefined;
    let ref = cache.get(cell);
    if (ref === undefined && !cache.has(cell)) {
      ref = resolveRegionCell(cell);
      cache.set(cell, ref);
    }
    if (ref === undefined) {
      const key = `${column}\u0000${cell}`;
      const entry = unknown.get(key) ?? { column, value: cell, rows: 0 };
      entry.rows += 1;
      unknown.set(key, entry);
    }
    return ref;
  };

  const ranges: NumberingPlanRange[] = [];
  const stats = emptyNumberingPlanStats();
  for (let i = 1; i < lines.length; i++) {
    const line = stripCr(lines[i]!);
    if (line === '') continue;
    const fields = line.split(';');
    const [first, last] = parseBounds(fields, source, i + 1);
    stats.rows += 1;
    const gar = resolve(fields[GAR_COLUMN]!, 'Территория ГАР');
    const legacy = resolve(fields[LEGACY_COLUMN]!, 'Регион');
    const ref = gar ?? legacy;
    if (ref === undefined) {
      stats.unresolvedRows += 1;
      continue;
    }
    if (gar === undefined) stats.legacyColumnRows += 1;
    if (ref.kind === 'non_geographic') {
      stats.nonGeographicRows += 1;
      continue;
    }
    stats.geographicRows += 1;
    ranges.push({
      first,
      last,
      region: ref.kind === 'subject' ? ref.code : ref.id,
      operator: fields[4]!.trim(),
      operatorInn: fields[7]!.trim(),
    });
  }
  stats.unknownSpellings = [...unknown.values()].sort((a, b) => b.rows - a.rows);
  return { ranges, stats };
}

/** Reads and parses one registry file; errors name the file. */
export async function readNumberingPlanFile(file: string): Promise<ParsedNumberingPlan> {
  return parseNumberingPlan(await readFile(file), { source: path.basename(file) });
}

function decode(input: string | Uint8Array, source: string): string {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  try {
    // TextDecoder drops the BOM itself.
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new GeoDataError('GEO_ENCODING', 'not valid UTF-8 (old rossvyaz.ru copies were windows-1251)', {
      source,
    });
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function checkHeader(header: string, source: string): void {
  if (header === NUMBERING_PLAN_HEADER) return;
  const expected = NUMBERING_PLAN_HEADER.split(';');
  const actual = header.split(';');
  const at = expected.findIndex((name, i) => actual[i] !== name);
  const detail =
    at === -1
      ? `${actual.length - expected.length} extra column(s)`
      : `column ${at + 1} is ${JSON.stringify(actual[at] ?? '(missing)')}, expected ${JSON.stringify(expected[at])}`;
  throw new GeoDataError(
    'GEO_HEADER_MISMATCH',
    `registry header changed (${detail}); expected "${NUMBERING_PLAN_HEADER}", got "${header}"`,
    { source, line: 1 },
  );
}

const CODE = /^\d{3}$/;
const BOUND = /^\d{7}$/;
const CAPACITY = /^\d+$/;

function parseBounds(fields: string[], source: string, line: number): [first: number, last: number] {
  const malformed = (why: string): GeoDataError =>
    new GeoDataError('GEO_MALFORMED_ROW', why, { source, line });
  if (fields.length !== 8) throw malformed(`expected 8 fields, got ${fields.length}`);
  const [code, from, to, capacity] = fields as [string, string, string, string];
  if (!CODE.test(code)) throw malformed(`code ${JSON.stringify(code)} is not 3 digits`);
  if (!BOUND.test(from) || !BOUND.test(to)) throw malformed(`bounds ${from}..${to} are not 7 digits`);
  const base = Number(code) * 10_000_000;
  const first = base + Number(from);
  const last = base + Number(to);
  if (last < first) throw malformed(`range ${from}..${to} is reversed`);
  if (!CAPACITY.test(capacity) || Number(capacity) !== last - first + 1) {
    throw malformed(`capacity ${JSON.stringify(capacity)} does not match ${from}..${to}`);
  }
  return [first, last];
}

/** Counters of a parse, all zero. */
export function emptyNumberingPlanStats(): NumberingPlanStats {
  return {
    rows: 0,
    geographicRows: 0,
    nonGeographicRows: 0,
    unresolvedRows: 0,
    legacyColumnRows: 0,
    unknownSpellings: [],
  };
}
