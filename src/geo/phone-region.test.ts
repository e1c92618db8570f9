import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readNumberingPlanFile } from './numbering-plan.js';
import { createPhoneRegionResolver } from './phone-region.js';
import { buildRangeIndex } from './range-index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const defFile = path.resolve(repoRoot, '../shared/data/rossvyaz/DEF-9xx.csv');
const hasDefFile = existsSync(defFile);

describe('resolver without the registry (area codes only)', () => {
  const resolver = createPhoneRegionResolver();

  it.each([
    ['+74951234567', 'RU-MOW', 'central'],
    ['+78432123456', 'RU-TA', 'volga'],
    ['+78121234567', 'RU-SPE', 'northwestern'],
    ['+73833123456', 'RU-NVS', 'siberian'],
    ['+78612123456', 'RU-KDA', 'southern'],
  ])('%s -> %s', (e164, region, federalDistrict) => {
    expect(resolver.resolve(e164)).toEqual({ region, federalDistrict, source: 'area_code' });
  });

  it.each([
    ['+79161234567', 'mobile needs the registry'],
    ['+77011234567', 'Kazakhstan mobile'],
    ['+77272123456', 'Almaty landline'],
    ['+76001234567', 'Kazakhstan 6xx'],
    ['+380441234567', 'Ukraine'],
    ['+14155550100', 'USA'],
    ['+441234567890', 'UK, 12 characters'],
    ['84951234567', 'not E.164'],
    ['', 'empty'],
  ])('%s -> undefined (%s)', (e164) => {
    expect(resolver.resolve(e164)).toBeUndefined();
  });
});

describe('resolver with an index', () => {
  const index = buildRangeIndex([
    { first: 4950000000, last: 4959999999, region: 'RU-MOW+RU-MOS', operator: 'X', operatorInn: '1' },
    { first: 7010000000, last: 7019999999, region: 'RU-TA', operator: 'BOGUS', operatorInn: '1' },
  ]);
  const resolver = createPhoneRegionResolver({ index });

  it('prefers the registry and falls back to area codes for numbers outside it', () => {
    expect(resolver.resolve('+74951234567')).toEqual({
      region: 'RU-MOW+RU-MOS',
      federalDistrict: 'central',
      source: 'numbering_plan',
      operator: 'X',
    });
    expect(resolver.resolve('+78431234567')).toMatchObject({ region: 'RU-TA', source: 'area_code' });
  });

  it('never resolves Kazakhstan ranges, whatever the index holds', () => {
    expect(resolver.resolve('+77011234567')).toBeUndefined();
  });
});

describe.skipIf(!hasDefFile)('resolver on the real DEF-9xx.csv', async () => {
  const parsed = hasDefFile ? await readNumberingPlanFile(defFile) : undefined;
  const resolver = createPhoneRegionResolver({ index: buildRangeIndex(parsed?.ranges ?? []) });

  // Each expectation comes from a line of the 2026-08-19 copy (line number in the comment).
  it.each([
    ['+79399756500', 'RU-MOW', 'ООО "ОМЕГА"'], // 4696: 939;9756000;9756999 Город Москва
    ['+79161234567', 'RU-MOW+RU-MOS', 'ПАО "Мобильные ТелеСистемы"'], // 1868: 916 whole block
    ['+79870012345', 'RU-TA', 'ПАО "Мобильные ТелеСистемы"'], // 14056: 987;0000000;0099999
    ['+79003250000', 'RU-TA', 'ООО "Т2 МОБАЙЛ"'], // 40: 900;3200000;3299999
    ['+79000012345', 'RU-KDA', 'ООО "Т2 МОБАЙЛ"'], // 2: 900;0000000;0061999
    ['+79000062500', 'RU-ROS', 'ООО "Т2 МОБАЙЛ"'], // 3: 900;0062000;0062999
    ['+79006300000', 'RU-SPE+RU-LEN', 'ООО "Т2 МОБАЙЛ"'], // 80: 900;6200000;6599999
    ['+79786500000', 'UA-43+UA-40', 'ООО "КТК ТЕЛЕКОМ"'], // 13160: 978;6500000;6929999
    ['+79009150000', 'RU-ARK+RU-NEN', 'ООО "Т2 МОБАЙЛ"'], // 100: 900;9110000;9209999
    ['+79110660000', 'RU-NEN', 'ПАО "Мобильные ТелеСистемы"'], // 1657: 911;0650000;0699999
    ['+79019225000', 'RU-LEN', 'АО "МТТ"'], // 467: 901;9220000;9229999
    ['+79585146000', 'RU-KYA', 'ПАО "Ростелеком"'], // 11243: Норильск|...|Красноярский край
    ['+79490010000', 'UA-14', expect.stringContaining('ДОНЕЦКОЙ НАРОДНОЙ РЕСПУБЛИКИ')], // 4887
  ])('%s -> %s', (e164, region, operator) => {
    expect(resolver.resolve(e164)).toEqual({
      region,
      federalDistrict: expect.any(String),
      source: 'numbering_plan',
      operator,
    });
  });

  it('returns undefined for a nationwide (satellite) range and an unallocated code', () => {
    expect(resolver.resolve('+79541015555')).toBeUndefined(); // 10022: Российская Федерация
    expect(resolver.resolve('+79071234567')).toBeUndefined(); // no 907 ranges
  });
});
