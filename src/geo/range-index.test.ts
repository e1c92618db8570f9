import { describe, expect, it } from 'vitest';
import type { RegionId } from '../core/regions.js';
import { nationalNumberOf } from './e164.js';
import { buildRangeIndex, type NumberingPlanRange } from './range-index.js';

const range = (first: number, last: number, region: RegionId, operator = 'OP'): NumberingPlanRange => ({
  first,
  last,
  region,
  operator,
  operatorInn: '1',
});

describe('buildRangeIndex', () => {
  const index = buildRangeIndex([
    range(9160000000, 9169999999, 'RU-MOW+RU-MOS', 'MTS'),
    range(9003200000, 9003299999, 'RU-TA'),
    range(9000000000, 9000061999, 'RU-KDA'),
    range(9000062000, 9000062999, 'RU-ROS'),
  ]);

  it.each([
    ['+79160000000', 'RU-MOW+RU-MOS'],
    ['+79169999999', 'RU-MOW+RU-MOS'],
    ['+79000000000', 'RU-KDA'],
    ['+79000061999', 'RU-KDA'],
    ['+79000062000', 'RU-ROS'],
    ['+79000062999', 'RU-ROS'],
    ['+79000063000', undefined],
    ['+79003250000', 'RU-TA'],
    ['+79003300000', undefined],
    ['+78999999999', undefined],
    ['+79170000000', undefined],
    ['+74951234567', undefined],
    ['79160000000', undefined],
    ['+7916000000', undefined],
    ['+7916000000x', undefined],
    ['+19160000000', undefined],
  ])('lookup(%s) -> %s', (e164, region) => {
    expect(index.lookup(e164)?.region).toBe(region);
  });

  it('returns operator and source, sharing one frozen object per (region, operator)', () => {
    const a = index.lookup('+79161234567');
    expect(a).toEqual({
      region: 'RU-MOW+RU-MOS',
      operator: 'MTS',
      operatorInn: '1',
      source: 'numbering_plan',
    });
    expect(index.lookup('+79167654321')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('merges adjacent ranges with the same region and operator, not others', () => {
    const merged = buildRangeIndex([
      range(100, 199, 'RU-TA'),
      range(200, 299, 'RU-TA'),
      range(300, 399, 'RU-TA', 'OTHER'),
      range(400, 499, 'RU-BA', 'OTHER'),
      range(501, 599, 'RU-BA', 'OTHER'),
    ]);
    expect(merged.stats).toEqual({ inputRanges: 5, entries: 4, merged: 1, overlaps: 0 });
    expect(merged.lookupNational(150)).toBe(merged.lookupNational(250));
    expect(merged.lookupNational(350)?.operator).toBe('OTHER');
    expect(merged.lookupNational(500)).toBeUndefined();
  });

  it('gives each number to the first range covering it (earlier start, then narrower) and counts overlaps', () => {
    const overlapping = buildRangeIndex([
      range(100, 500, 'RU-TA'),
      range(100, 199, 'RU-BA'),
      range(150, 160, 'RU-UD'),
      range(450, 700, 'RU-CU'),
    ]);
    expect(overlapping.stats.overlaps).toBe(3);
    expect([100, 199, 200, 500, 501, 700, 701].map((n) => overlapping.lookupNational(n)?.region)).toEqual([
      'RU-BA',
      'RU-BA',
      'RU-TA',
      'RU-TA',
      'RU-CU',
      'RU-CU',
      undefined,
    ]);
  });

  it('handles an empty index and rejects invalid ranges', () => {
    expect(buildRangeIndex([]).lookup('+79160000000')).toBeUndefined();
    expect(() => buildRangeIndex([range(10, 9, 'RU-TA')])).toThrow(RangeError);
    expect(() => buildRangeIndex([range(0.5, 9, 'RU-TA')])).toThrow(RangeError);
  });
});

describe('nationalNumberOf', () => {
  it.each([
    ['+79161234567', 9161234567],
    ['+70000000000', 0],
    ['+79999999999', 9999999999],
    ['+7 916 123 45 67', undefined],
    ['89161234567', undefined],
    ['+791612345678', undefined],
    ['+7916123456/', undefined],
    ['+7916123456:', undefined],
    ['', undefined],
  ])('%j -> %s', (e164, expected) => {
    expect(nationalNumberOf(e164)).toBe(expected);
  });
});
