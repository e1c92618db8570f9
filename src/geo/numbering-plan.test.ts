import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GeoDataError } from './errors.js';
import { NUMBERING_PLAN_HEADER, parseNumberingPlan, readNumberingPlanFile } from './numbering-plan.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const defFile = path.resolve(repoRoot, '../shared/data/rossvyaz/DEF-9xx.csv');
const hasDefFile = existsSync(defFile);

const BOM = '\uFEFF';
const csv = (...rows: string[]): string => [NUMBERING_PLAN_HEADER, ...rows].join('\n');

function thrown(fn: () => unknown): GeoDataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GeoDataError) return error;
    throw error;
  }
  throw new Error('expected a GeoDataError');
}

describe('parseNumberingPlan', () => {
  it('parses rows into ranges over 10-digit numbers, preferring "Территория ГАР"', () => {
    const input = csv(
      '900;3200000;3299999;100000;ООО "Т2 МОБАЙЛ";-;Республика Татарстан;7743895280',
      '916;0000000;9999999;10000000;ПАО "МТС";г. Москва и Московская область;Город Москва, Московская область;7740000076',
      '499;9999701;9999999;299;АО "ГЛОБУС-ТЕЛЕКОМ";г. Москва;Город Москва;7715227394',
    );
    const { ranges, stats } = parseNumberingPlan(BOM + input);
    expect(ranges).toEqual([
      {
        first: 9003200000,
        last: 9003299999,
        region: 'RU-TA',
        operator: 'ООО "Т2 МОБАЙЛ"',
        operatorInn: '7743895280',
      },
      {
        first: 9160000000,
        last: 9169999999,
        region: 'RU-MOW+RU-MOS',
        operator: 'ПАО "МТС"',
        operatorInn: '7740000076',
      },
      {
        first: 4999999701,
        last: 4999999999,
        region: 'RU-MOW',
        operator: 'АО "ГЛОБУС-ТЕЛЕКОМ"',
        operatorInn: '7715227394',
      },
    ]);
    expect(stats).toEqual({
      rows: 3,
      geographicRows: 3,
      nonGeographicRows: 0,
      unresolvedRows: 0,
      legacyColumnRows: 0,
      unknownSpellings: [],
    });
  });

  it('accepts a Buffer with BOM, CRLF line endings and a trailing newline', () => {
    const text = `${BOM}${csv('301;2110000;2129999;20000;ПАО "Ростелеком";г. Улан-Удэ|Республика Бурятия;г. Улан-Удэ|г.о. город Улан-Удэ|Республика Бурятия;7707049388')}\n`;
    const { ranges } = parseNumberingPlan(Buffer.from(text.replaceAll('\n', '\r\n'), 'utf8'));
    expect(ranges).toEqual([
      expect.objectContaining({
        first: 3012110000,
        last: 3012129999,
        region: 'RU-BU',
        operatorInn: '7707049388',
      }),
    ]);
  });

  it('counts unknown spellings per column instead of dropping them silently', () => {
    const { ranges, stats } = parseNumberingPlan(
      csv(
        '900;0000000;0000999;1000;A;Атлантида;Атлантида;1',
        '900;0001000;0001999;1000;A;-;Атлантида;1',
        '900;0002000;0002999;1000;A;Краснодарский край;Гиперборея;1',
        '900;0003000;0003999;1000;A;Лемурия;Краснодарский край;1',
        '954;1010000;1019999;10000;B;Российская Федерация;Российская Федерация;2',
        '800;0000000;0009999;10000;C;-;Республика Башкортостан, Республика Татарстан;3',
      ),
    );
    expect(ranges.map((r) => r.region)).toEqual(['RU-KDA', 'RU-KDA']);
    expect(stats).toEqual({
      rows: 6,
      geographicRows: 2,
      nonGeographicRows: 2,
      unresolvedRows: 2,
      legacyColumnRows: 1,
      unknownSpellings: [
        { column: 'Территория ГАР', value: 'Атлантида', rows: 2 },
        { column: 'Регион', value: 'Атлантида', rows: 1 },
        { column: 'Территория ГАР', value: 'Гиперборея', rows: 1 },
        { column: 'Регион', value: 'Лемурия', rows: 1 },
      ],
    });
  });

  const renamed = NUMBERING_PLAN_HEADER.split(';');
  it.each([
    [
      'a renamed column',
      renamed.map((c) => (c === 'Территория ГАР' ? 'Территория ФИАС' : c)).join(';'),
      /column 7/,
    ],
    ['the 2023 layout without ГАР', 'АВС/ DEF;От;До;Емкость;Оператор;Регион;ИНН', /column 7 is "ИНН"/],
    ['Ёмкость with Ё', NUMBERING_PLAN_HEADER.replace('Емкость', 'Ёмкость'), /column 4/],
    ['Latin ABC', NUMBERING_PLAN_HEADER.replace('АВС', 'ABC'), /column 1/],
    ['an extra column', `${NUMBERING_PLAN_HEADER};Дата`, /1 extra column/],
    ['an empty file', '', /column 1/],
  ])('rejects a header with %s', (_case, header, detail) => {
    const error = thrown(() =>
      parseNumberingPlan(`${header}\n900;0000000;0000999;1000;A;-;Республика Коми;1`),
    );
    expect(error.code).toBe('GEO_HEADER_MISMATCH');
    expect(error.line).toBe(1);
    expect(error.message).toMatch(detail);
  });

  it.each([
    ['7 fields', '900;0000000;0000999;1000;A;-;Республика Коми', /expected 8 fields/],
    ['stripped leading zeros', '900;0;999;1000;A;-;Республика Коми;1', /not 7 digits/],
    ['a reversed range', '900;0000999;0000000;1000;A;-;Республика Коми;1', /reversed/],
    ['a wrong capacity', '900;0000000;0000999;999;A;-;Республика Коми;1', /capacity/],
    ['a tab-padded old row', '900\t;\t0000000\t;0000999;1000;A;-;Республика Коми;1', /code/],
  ])('rejects a row with %s, naming the line', (_case, row, detail) => {
    const error = thrown(() =>
      parseNumberingPlan(csv('901;0000000;0000999;1000;A;-;Республика Коми;1', row), { source: 'X.csv' }),
    );
    expect(error.code).toBe('GEO_MALFORMED_ROW');
    expect(error.message).toMatch(/^X\.csv:3: /);
    expect(error.message).toMatch(detail);
  });

  it('rejects bytes that are not UTF-8', () => {
    const error = thrown(() => parseNumberingPlan(Uint8Array.from([0xc0, 0xc2, 0xd1, 0x2f])));
    expect(error.code).toBe('GEO_ENCODING');
  });
});

describe.skipIf(!hasDefFile)('the real DEF-9xx.csv (2026-08-19 copy)', () => {
  it('parses every row and resolves every spelling', async () => {
    const { ranges, stats } = await readNumberingPlanFile(defFile);
    expect(stats.rows).toBe(17059);
    expect(stats.unknownSpellings).toEqual([]);
    expect(stats.unresolvedRows).toBe(0);
    expect(stats.nonGeographicRows).toBe(37);
    expect(ranges).toHaveLength(17059 - 37);
    const capacity = ranges.reduce((sum, r) => sum + r.last - r.first + 1, 0);
    const nonGeographic = 706_567_081 - capacity;
    expect(nonGeographic).toBeGreaterThan(0);
    expect(nonGeographic).toBeLessThan(10_000_000);
  });

  it('resolves "Регион" to the same region as "Территория ГАР" on all but a few rows', () => {
    const lines = readFileSync(defFile, 'utf8').split('\n').slice(1);
    const legacyOnly = lines.map((line) =>
      line
        .split(';')
        .map((f, i) => (i === 6 ? '-' : f))
        .join(';'),
    );
    const garOnly = lines.map((line) =>
      line
        .split(';')
        .map((f, i) => (i === 5 ? '-' : f))
        .join(';'),
    );
    const fromLegacy = parseNumberingPlan(csv(...legacyOnly));
    const fromGar = parseNumberingPlan(csv(...garOnly));
    expect(fromLegacy.stats.unknownSpellings).toEqual([]);
    const garByFirst = new Map(fromGar.ranges.map((r) => [r.first, r.region]));
    const disagreements = fromLegacy.ranges.filter((r) => garByFirst.get(r.first) !== r.region);
    expect(disagreements.length).toBeLessThanOrEqual(5);
  });
});
