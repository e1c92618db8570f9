import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FEDERAL_DISTRICTS,
  federalDistrictOf,
  isMacroTerritoryId,
  isValidRegionCode,
  isValidRegionId,
  MACRO_TERRITORIES,
  macroTerritoryById,
  macroTerritoryOf,
  REGIONS,
  regionByCode,
  regionCodesOf,
  timeZoneOf,
} from '../core/regions.js';
import { subjectByName } from './region-names.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const hflabsFile = path.resolve(repoRoot, '../shared/data/regions/hflabs-region.csv');
const NEW_2022 = ['UA-14', 'UA-09', 'UA-23', 'UA-65'];

function utcOffset(timeZone: string, at: Date): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' }).formatToParts(at);
  return parts.find((p) => p.type === 'timeZoneName')!.value.replace('GMT', 'UTC');
}

describe('regions table', () => {
  it('has all 89 federal subjects with unique codes and names', () => {
    expect(REGIONS).toHaveLength(89);
    expect(new Set(REGIONS.map((r) => r.code)).size).toBe(89);
    expect(new Set(REGIONS.map((r) => r.name)).size).toBe(89);
    for (const r of REGIONS) expect(r.code).toMatch(/^(RU|UA)-[A-Z0-9]{2,3}$/);
  });

  it('has the expected number of subjects per federal district', () => {
    const counts: Record<string, number> = {};
    for (const r of REGIONS) counts[r.federalDistrict] = (counts[r.federalDistrict] ?? 0) + 1;
    expect(counts).toEqual({
      central: 18,
      northwestern: 11,
      southern: 12,
      north_caucasian: 7,
      volga: 14,
      ural: 6,
      siberian: 10,
      far_eastern: 11,
    });
  });

  it.each(REGIONS.map((r) => [r.code, r.timeZone]))(
    '%s has a valid IANA time zone (%s)',
    (_code, timeZone) => {
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone })).not.toThrow();
      expect(timeZone).toMatch(/^(Europe|Asia)\/[A-Za-z_]+$/);
    },
  );

  it.each([
    ['RU-TA', 'Республика Татарстан', 'volga', 'Europe/Moscow'],
    ['RU-KGD', 'Калининградская область', 'northwestern', 'Europe/Kaliningrad'],
    ['UA-43', 'Республика Крым', 'southern', 'Europe/Simferopol'],
    ['UA-14', 'Донецкая Народная Республика', 'southern', 'Europe/Moscow'],
    ['RU-CHU', 'Чукотский автономный округ', 'far_eastern', 'Asia/Anadyr'],
  ])('regionByCode(%s)', (code, name, federalDistrict, timeZone) => {
    expect(regionByCode(code)).toEqual({ code, name, federalDistrict, timeZone });
  });

  it.each([
    ['RU-MOW', true],
    ['UA-40', true],
    ['ru-mow', false],
    ['RU-CR', false],
    ['KZ-BAY', false],
    ['RU-MOW+RU-MOS', false],
    ['', false],
  ])('isValidRegionCode(%j) = %s', (code, expected) => {
    expect(isValidRegionCode(code)).toBe(expected);
  });

  it('names every federal district in Russian', () => {
    expect(FEDERAL_DISTRICTS.north_caucasian).toBe('Северо-Кавказский федеральный округ');
    expect(Object.keys(FEDERAL_DISTRICTS)).toHaveLength(8);
  });
});

describe('macro-territories', () => {
  it('have members from the table that share one district and time zone', () => {
    expect(MACRO_TERRITORIES.map((m) => m.id)).toEqual([
      'RU-MOW+RU-MOS',
      'RU-SPE+RU-LEN',
      'UA-43+UA-40',
      'RU-ARK+RU-NEN',
    ]);
    for (const m of MACRO_TERRITORIES) {
      expect(m.id).toBe(m.members.join('+'));
      const members = m.members.map((c) => regionByCode(c)!);
      expect(new Set(members.map((r) => r.federalDistrict))).toEqual(new Set([m.federalDistrict]));
      expect(new Set(members.map((r) => r.timeZone))).toEqual(new Set([m.timeZone]));
    }
  });

  it.each([
    [['RU-MOS', 'RU-MOW'], 'RU-MOW+RU-MOS'],
    [['RU-MOW', 'RU-MOS', 'RU-MOW'], 'RU-MOW+RU-MOS'],
    [['UA-40', 'UA-43'], 'UA-43+UA-40'],
    [['RU-NEN', 'RU-ARK'], 'RU-ARK+RU-NEN'],
    [['RU-MOW'], undefined],
    [['RU-MOW', 'RU-MOS', 'RU-TUL'], undefined],
    [['RU-SPE', 'RU-MOS'], undefined],
  ] as const)('macroTerritoryOf(%j) = %s', (codes, expected) => {
    expect(macroTerritoryOf(codes)?.id).toBe(expected);
  });

  it('resolves ids of both kinds through the same helpers', () => {
    expect(isMacroTerritoryId('RU-SPE+RU-LEN')).toBe(true);
    expect(isMacroTerritoryId('RU-LEN+RU-SPE')).toBe(false);
    expect(isValidRegionId('RU-SPE+RU-LEN')).toBe(true);
    expect(isValidRegionId('RU-LEN')).toBe(true);
    expect(isValidRegionId('RU-XXX')).toBe(false);
    expect(federalDistrictOf('RU-SPE+RU-LEN')).toBe('northwestern');
    expect(federalDistrictOf('RU-KHM')).toBe('ural');
    expect(federalDistrictOf('nowhere')).toBeUndefined();
    expect(timeZoneOf('UA-43+UA-40')).toBe('Europe/Simferopol');
    expect(regionCodesOf('RU-ARK+RU-NEN')).toEqual(['RU-ARK', 'RU-NEN']);
    expect(regionCodesOf('RU-TA')).toEqual(['RU-TA']);
    expect(macroTerritoryById('RU-MOW+RU-MOS')?.name).toBe('Москва и Московская область');
  });
});

describe.skipIf(!existsSync(hflabsFile))('cross-check against hflabs region.csv', () => {
  const [header, ...lines] = (existsSync(hflabsFile) ? readFileSync(hflabsFile, 'utf8') : '')
    .trim()
    .split('\n');
  const columns = header!.split(',');
  const rows = lines.map((line) => {
    const fields = line.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, fields[i] ?? ''])) as Record<string, string>;
  });
  const subjects = rows.filter((r) => r.iso_code !== 'KZ-BAY');

  it('has every hflabs subject, and only the four 2022 subjects beyond them', () => {
    expect(subjects).toHaveLength(85);
    const hflabsCodes = new Set(subjects.map((r) => r.iso_code));
    for (const code of hflabsCodes) expect(isValidRegionCode(code!), code).toBe(true);
    const extra = REGIONS.map((r) => r.code).filter((c) => !hflabsCodes.has(c));
    expect(extra.sort()).toEqual([...NEW_2022].sort());
  });

  it.each(subjects.map((r) => [r.iso_code!, r]))('%s matches district, UTC offset and name', (code, row) => {
    const region = regionByCode(code)!;
    expect(FEDERAL_DISTRICTS[region.federalDistrict]).toBe(`${row.federal_district} федеральный округ`);
    for (const at of [new Date('2026-01-15T12:00:00Z'), new Date('2026-07-15T12:00:00Z')]) {
      expect(utcOffset(region.timeZone, at)).toBe(row.timezone);
    }
    expect(subjectByName(row.name_with_type!)).toBe(code);
  });
});
