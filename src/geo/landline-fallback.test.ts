import { describe, expect, it } from 'vitest';
import { isValidRegionCode, REGIONS } from '../core/regions.js';
import { landlineAreaCodes, regionByAreaCode } from './landline-fallback.js';

describe('regionByAreaCode', () => {
  it.each([
    ['+74951234567', 'RU-MOW', '495'],
    ['+74991234567', 'RU-MOW', '499'],
    ['+74961234567', 'RU-MOS', '496'],
    ['+78431234567', 'RU-TA', '843'],
    ['+78552123456', 'RU-TA', '855'],
    ['+78121234567', 'RU-SPE', '812'],
    ['+78131234567', 'RU-LEN', '813'],
    ['+78612123456', 'RU-KDA', '861'],
    ['+78622123456', 'RU-KDA', '862'],
    ['+73833123456', 'RU-NVS', '383'],
    ['+74012123456', 'RU-KGD', '401'],
    ['+73432123456', 'RU-SVE', '343'],
    ['+74232123456', 'RU-PRI', '423'],
    ['+78182123456', 'RU-ARK', '818'],
    ['+78185312345', 'RU-NEN', '81853'],
    ['+73652123456', 'UA-43', '365'],
    ['+78692123456', 'UA-40', '869'],
    ['+78622612345', 'RU-KDA', '862'],
    ['+78562123456', 'UA-14', '856'],
  ])('%s -> %s (prefix %s)', (e164, region, areaCode) => {
    expect(regionByAreaCode(e164)).toEqual({ region, areaCode });
  });

  it.each([
    ['+79161234567', 'mobile: only the registry knows'],
    ['+78001234567', '8-800 is non-geographic'],
    ['+73362212345', 'Baikonur is not a federal subject'],
    ['+77011234567', 'Kazakhstan'],
    ['+380441234567', 'not +7'],
    ['+7495123456', 'too short'],
  ])('%s -> undefined (%s)', (e164) => {
    expect(regionByAreaCode(e164)).toBeUndefined();
  });

  it('maps only to known subjects, with only 3xx/4xx/8xx prefixes', () => {
    const table = landlineAreaCodes();
    expect(table.size).toBeGreaterThan(85);
    for (const [prefix, region] of table) {
      expect(prefix).toMatch(/^[348]\d{2,4}$/);
      expect(isValidRegionCode(region)).toBe(true);
    }
  });

  it('covers every subject except Zaporozhye Oblast', () => {
    const covered = new Set(landlineAreaCodes().values());
    expect(REGIONS.filter((r) => !covered.has(r.code)).map((r) => r.code)).toEqual(['UA-23']);
  });
});
