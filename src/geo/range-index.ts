import type { RegionId } from '../core/regions.js';
import { nationalNumberOf } from './e164.js';

/** One numbering-plan range over 10-digit national numbers (e.g. 9160000000..9169999999), inclusive. */
export interface NumberingPlanRange {
  readonly first: number;
  readonly last: number;
  readonly region: RegionId;
  /** Original range holder; stale after number portability (the region is not: MNP stays in the subject). */
  readonly operator: string;
  readonly operatorInn: string;
}

/** A hit in the index. Instances are shared and frozen: do not mutate. */
export interface NumberingPlanMatch {
  readonly region: RegionId;
  readonly operator: string;
  readonly operatorInn: string;
  readonly source: 'numbering_plan';
}

/** How the build treated its input. */
export interface RangeIndexStats {
  /** Ranges given to the build. */
  readonly inputRanges: number;
  /** Entries after merging. */
  readonly entries: number;
  /** Adjacent ranges with the same region and operator that were merged into one entry. */
  readonly merged: number;
  /** Ranges clipped or dropped because an earlier one already covered part or all of them. */
  readonly overlaps: number;
}

/** Immutable lookup structure over numbering-plan ranges. */
export interface RangeIndex {
  readonly stats: RangeIndexStats;
  /** Looks up `+7XXXXXXXXXX`; undefined for other input or numbers outside every range. */
  lookup(e164: string): NumberingPlanMatch | undefined;
  /** Looks up a 10-digit national number. */
  lookupNational(nationalNumber: number): NumberingPlanMatch | undefined;
}

/**
 * Builds the index: entries sorted by first number in two Float64Arrays (10-digit numbers exceed 32 bits but
 * are exact in a double) plus a Uint32Array of ids into a small table of interned matches; lookups are a
 * binary search with no allocation.
 *
 * Overlaps (absent from real registry files, but possible when merging copies): ranges are taken in order of
 * first number, narrower first on a tie, and each number belongs to the first range that covers it; later
 * ranges are clipped or dropped and counted in `stats.overlaps`. Adjacent ranges with the same region and
 * operator are merged.
 */
export function buildRangeIndex(ranges: readonly NumberingPlanRange[]): RangeIndex {
  for (const r of ranges) {
    if (!Number.isSafeInteger(r.first) || !Number.isSafeInteger(r.last) || r.last < r.first) {
      throw new RangeError(`invalid range ${r.first}..${r.last}`);
    }
  }
  const sorted = [...ranges].sort((a, b) => a.first - b.first || a.last - b.last);
  const starts = new Float64Array(sorted.length);
  const ends = new Float64Array(sorted.length);
  const matchIds = new Uint32Array(sorted.length);
  const matches: NumberingPlanMatch[] = [];
  const matchIdByKey = new Map<string, number>();
  let size = 0;
  let merged = 0;
  let overlaps = 0;
  let covered = -1;

  for (const r of sorted) {
    const first = Math.max(r.first, covered + 1);
    if (first !== r.first) overlaps += 1;
    if (first > r.last) continue;
    const key = `${r.region}\u0000${r.operator}\u0000${r.operatorInn}`;
    let id = matchIdByKey.get(key);
    if (id === undefined) {
      id = matches.length;
      matches.push(
        Object.freeze({
          region: r.region,
          operator: r.operator,
          operatorInn: r.operatorInn,
          source: 'numbering_plan',
        }),
      );
      matchIdByKey.set(key, id);
    }
    if (size > 0 && ends[size - 1] === first - 1 && matchIds[size - 1] === id) {
      ends[size - 1] = r.last;
      merged += 1;
    } else {
      starts[size] = first;
      ends[size] = r.last;
      matchIds[size] = id;
      size += 1;
    }
    covered = r.last;
  }

  return new SortedRangeIndex(starts.slice(0, size), ends.slice(0, size), matchIds.slice(0, size), matches, {
    inputRanges: ranges.length,
    entries: size,
    merged,
    overlaps,
  });
}

class SortedRangeIndex implements RangeIndex {
  constructor(
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    private readonly matchIds: Uint32Array,
    private readonly matches: readonly NumberingPlanMatch[],
    readonly stats: RangeIndexStats,
  ) {}

  lookup(e164: string): NumberingPlanMatch | undefined {
    const n = nationalNumberOf(e164);
    return n === undefined ? undefined : this.lookupNational(n);
  }

  lookupNational(n: number): NumberingPlanMatch | undefined {
    const { starts } = this;
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || n < starts[0]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= n) lo = mid;
      else hi = mid - 1;
    }
    return n <= this.ends[lo]! ? this.matches[this.matchIds[lo]!] : undefined;
  }
}
