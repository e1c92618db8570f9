import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  emptyNumberingPlanStats,
  NUMBERING_PLAN_FILES,
  type NumberingPlanStats,
  parseNumberingPlan,
  type UnknownSpelling,
} from './numbering-plan.js';
import {
  buildRangeIndex,
  type NumberingPlanRange,
  type RangeIndex,
  type RangeIndexStats,
} from './range-index.js';

/** Totals over the files that were loaded. */
export interface NumberingPlanLoadStats extends NumberingPlanStats {
  /** Names of the registry files found and parsed, e.g. `["DEF-9xx.csv"]`. */
  files: string[];
  index: RangeIndexStats;
}

/** A ready index and what went into it. */
export interface LoadedNumberingPlan {
  index: RangeIndex;
  stats: NumberingPlanLoadStats;
}

/**
 * Loads whichever of ABC-3xx/ABC-4xx/ABC-8xx/DEF-9xx.csv exist in `dir` into one index.
 * Returns undefined when the directory or all four files are missing, so the caller can log a warning and run
 * on the landline area-code table alone.
 *
 * @throws GeoDataError when a file exists but is not in the expected format (header changed, bad row).
 */
export async function loadNumberingPlan(dir: string): Promise<LoadedNumberingPlan | undefined> {
  const ranges: NumberingPlanRange[] = [];
  const files: string[] = [];
  const totals: NumberingPlanStats = emptyNumberingPlanStats();
  const unknown = new Map<string, UnknownSpelling>();

  for (const file of NUMBERING_PLAN_FILES) {
    const bytes = await readIfExists(path.join(dir, file));
    if (bytes === undefined) continue;
    const parsed = parseNumberingPlan(bytes, { source: file });
    files.push(file);
    for (const range of parsed.ranges) ranges.push(range);
    const { stats } = parsed;
    totals.rows += stats.rows;
    totals.geographicRows += stats.geographicRows;
    totals.nonGeographicRows += stats.nonGeographicRows;
    totals.unresolvedRows += stats.unresolvedRows;
    totals.legacyColumnRows += stats.legacyColumnRows;
    for (const spelling of stats.unknownSpellings) {
      const key = `${spelling.column}\u0000${spelling.value}`;
      const rows = (unknown.get(key)?.rows ?? 0) + spelling.rows;
      unknown.set(key, { ...spelling, rows });
    }
  }
  if (files.length === 0) return undefined;

  totals.unknownSpellings = [...unknown.values()].sort((a, b) => b.rows - a.rows);
  const index = buildRangeIndex(ranges);
  return { index, stats: { ...totals, files, index: index.stats } };
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
