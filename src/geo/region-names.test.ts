import { describe, expect, it } from 'vitest';
import { REGIONS } from '../core/regions.js';
import {
  isBlankRegionCell,
  type RegionRef,
  regionNameKey,
  resolveRegionCell,
  splitRegionCell,
  subjectByName,
} from './region-names.js';

const subject = (code: string): RegionRef => ({ kind: 'subject', code }) as RegionRef;
const macro = (id: string): RegionRef => ({ kind: 'macro', id }) as RegionRef;

describe('resolveRegionCell: "Территория ГАР" spellings', () => {
  it.each([
    ['Республика Татарстан', subject('RU-TA')],
    ['Город Москва', subject('RU-MOW')],
    ['Кемеровская область - Кузбасс', subject('RU-KEM')],
    ['Чувашская Республика - Чувашия', subject('RU-CU')],
    ['Ханты-Мансийский автономный округ - Югра', subject('RU-KHM')],
    ['Республика Саха (Якутия)', subject('RU-SA')],
    ['Донецкая Народная Республика', subject('UA-14')],
    ['Луганская Народная Республика', subject('UA-09')],
    ['Запорожская область', subject('UA-23')],
    ['Херсонская область', subject('UA-65')],
    ['Город Севастополь', subject('UA-40')],
    ['Город Москва, Московская область', macro('RU-MOW+RU-MOS')],
    ['Московская область, Город Москва', macro('RU-MOW+RU-MOS')],
    ['Город Санкт-Петербург, Ленинградская область', macro('RU-SPE+RU-LEN')],
    ['Ленинградская область, Город Санкт-Петербург', macro('RU-SPE+RU-LEN')],
    ['Республика Крым, Город Севастополь', macro('UA-43+UA-40')],
    ['Город Севастополь, Республика Крым', macro('UA-43+UA-40')],
    ['Архангельская область, Ненецкий автономный округ', macro('RU-ARK+RU-NEN')],
    ['Ненецкий автономный округ, Архангельская область', macro('RU-ARK+RU-NEN')],
    ['г. Норильск|г.о. город Норильск|Красноярский край', subject('RU-KYA')],
    ['г. Улан-Удэ|г.о. город Улан-Удэ|Республика Бурятия', subject('RU-BU')],
    ['м.р-н Новосибирский|Новосибирская область', subject('RU-NVS')],
    ['Российская Федерация', { kind: 'non_geographic', reason: 'nationwide' }],
    [
      'Республика Башкортостан, Республика Татарстан, Удмуртская Республика',
      { kind: 'non_geographic', reason: 'multi_region' },
    ],
  ])('%s', (cell, expected) => {
    expect(resolveRegionCell(cell)).toEqual(expected);
  });
});

describe('resolveRegionCell: legacy "Регион" spellings', () => {
  it.each([
    ['г. Москва и Московская область', macro('RU-MOW+RU-MOS')],
    ['Москва и Московская область', macro('RU-MOW+RU-MOS')],
    ['г. Москва * Московская область', macro('RU-MOW+RU-MOS')],
    ['г. Санкт-Петербург и Ленинградская область', macro('RU-SPE+RU-LEN')],
    ['г. Санкт-Петербург * Ленинградская область', macro('RU-SPE+RU-LEN')],
    ['Республика Крым и г. Севастополь', macro('UA-43+UA-40')],
    ['Архангельская область * Ненецкий автономный округ', macro('RU-ARK+RU-NEN')],
    ['Республика Саха /Якутия/', subject('RU-SA')],
    ['Республика Удмуртская', subject('RU-UD')],
    ['Республика Чеченская', subject('RU-CE')],
    ['Республика Кабардино-Балкарская', subject('RU-KB')],
    ['Республика Донецкая Народная', subject('UA-14')],
    ['Ханты - Мансийский - Югра АО', subject('RU-KHM')],
    ['Ханты-Мансийский АО - Югра', subject('RU-KHM')],
    ['Ханты-Мансийский Автономный округ - Югра АО', subject('RU-KHM')],
    ['Кемеровская область - Кузбасс обл.', subject('RU-KEM')],
    ['Кемеровская обл.', subject('RU-KEM')],
    ['Чувашская Республика', subject('RU-CU')],
    ['Ненецкий АО', subject('RU-NEN')],
    ['Еврейская автономная обл.', subject('RU-YEV')],
    ['Ростовская обл.', subject('RU-ROS')],
    ['Запорожская обл.', subject('UA-23')],
    ['г. Норильск|Красноярский край', subject('RU-KYA')],
    ['г. Псков|Псковская обл.', subject('RU-PSK')],
    ['Орёл|Орловская обл.', subject('RU-ORL')],
    ['  Республика   Коми ', subject('RU-KO')],
    ['РЕСПУБЛИКА МАРИЙ ЭЛ', subject('RU-ME')],
  ])('%s', (cell, expected) => {
    expect(resolveRegionCell(cell)).toEqual(expected);
  });
});

describe('unknown and blank cells', () => {
  it.each(['Атлантида', 'Московская', 'Город Москва, Атлантида', 'Республика', 'Ненецкий'])(
    '%j is unknown (undefined), not guessed',
    (cell) => {
      expect(resolveRegionCell(cell)).toBeUndefined();
    },
  );

  it.each([
    ['-', true],
    ['', true],
    ['  - ', true],
    ['Москва', false],
  ])('isBlankRegionCell(%j) = %s', (cell, expected) => {
    expect(isBlankRegionCell(cell)).toBe(expected);
  });
});

describe('name keys', () => {
  it('give every subject a distinct key that resolves back to it', () => {
    const keys = new Set(REGIONS.map((r) => regionNameKey(r.name)));
    expect(keys.size).toBe(REGIONS.length);
    for (const r of REGIONS) expect(subjectByName(r.name)).toBe(r.code);
  });

  it('ignore ё/е, case, brackets, word order and "город"', () => {
    expect(regionNameKey('Город Орёл')).toBe(regionNameKey('орел'));
    expect(regionNameKey('Республика Саха (Якутия)')).toBe(regionNameKey('Республика Саха /Якутия/'));
    expect(regionNameKey('Удмуртская Республика')).toBe(regionNameKey('Республика Удмуртская'));
  });

  it('split lists, hierarchies and legacy joiners', () => {
    expect(splitRegionCell('г. Москва и Московская область')).toEqual(['г. Москва', 'Московская область']);
    expect(splitRegionCell('a|b|Республика Бурятия, Республика Тыва')).toEqual([
      'Республика Бурятия',
      'Республика Тыва',
    ]);
  });
});
