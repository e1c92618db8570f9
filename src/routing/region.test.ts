import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPhoneRegionResolver, loadNumberingPlan, type PhoneRegionResolver } from '../geo/index.js';
import { normalizePhone } from '../identity/phone.js';
import { parseRegionValue, type RegionInput, resolveRegion } from './region.js';

// The real registry copy lives beside the checkout (never committed): ../shared/data/rossvyaz/DEF-9xx.csv
const REGISTRY_DIR = fileURLToPath(new URL('../../../shared/data/rossvyaz/', import.meta.url));

const none: RegionInput = { contactRegion: null, companyRegion: null, phones: [], companyInn: null };
const e164 = (raw: string) => {
  const r = normalizePhone(raw);
  if (!r.ok) throw new Error(`test phone ${raw} did not normalize: ${r.reason}`);
  return r.e164;
};

describe.skipIf(!existsSync(path.join(REGISTRY_DIR, 'DEF-9xx.csv')))(
  'resolveRegion with the real DEF-9xx registry',
  () => {
    let phones: PhoneRegionResolver;
    beforeAll(async () => {
      const plan = await loadNumberingPlan(path.resolve(REGISTRY_DIR));
      if (!plan) throw new Error(`no registry files in ${REGISTRY_DIR}`);
      phones = createPhoneRegionResolver({ index: plan.index });
    });

    // Real ranges: 900 320xxxx Tatarstan; 900 14xxxxx Moscow + Moscow Oblast; 900 62xxxxx SPb + Leningrad Oblast;
    // 978 15xxxxx Crimea + Sevastopol; 900 175xxxx Kamchatka; 954 101xxxx nationwide (satellite).
    const formats: [channel: string, raw: string][] = [
      ['web form', '8 (900) 321-23-45'],
      ['PBX caller id', '79003212345'],
      ['PBX SIP URI', 'sip:79003212345@pbx.example'],
      ['WhatsApp', '+7 900 321 23 45'],
      ['email signature', '+7(900)321-23-45 доб. 12'],
      ['Avito', '89003212345'],
      ['national digits', '9003212345'],
    ];
    it.each(formats)('a Tatarstan mobile as %s sends it (%s) -> RU-TA from the numbering plan', (_c, raw) => {
      expect(resolveRegion({ ...none, phones: [e164(raw)] }, phones)).toMatchObject({
        region: 'RU-TA',
        federalDistrict: 'volga',
        source: 'numbering_plan',
        name: 'Республика Татарстан',
      });
    });

    it.each([
      ['+79001412345', 'RU-MOW+RU-MOS', 'central'],
      ['+79006212345', 'RU-SPE+RU-LEN', 'northwestern'],
      ['+79781512345', 'UA-43+UA-40', 'southern'],
    ])('joint range %s -> macro-territory %s', (phone, region, district) => {
      const fact = resolveRegion({ ...none, phones: [phone] }, phones);
      expect(fact).toMatchObject({ region, federalDistrict: district, source: 'numbering_plan' });
      expect(fact.why).toContain('shared by several subjects');
    });

    it.each([
      ['+375291234567', 'Belarus'],
      ['+77011234567', 'Kazakhstan (+7 7xx)'],
      ['+79541011234', 'a nationwide (satellite) range'],
    ])('%s (%s) gives no region and a note', (phone) => {
      const fact = resolveRegion({ ...none, phones: [phone] }, phones);
      expect(fact).toMatchObject({ region: null, source: 'unknown' });
      expect(fact.notes).toHaveLength(1);
    });

    it('a foreign first number falls through to the next phone', () => {
      expect(resolveRegion({ ...none, phones: ['+375291234567', '+79001750000'] }, phones)).toMatchObject({
        region: 'RU-KAM',
        source: 'numbering_plan',
        notes: ['phone …4567: foreign number'],
      });
    });

    it('a landline resolves through the registry-less area-code table only when the index has no range', () => {
      expect(resolveRegion({ ...none, phones: ['+78432000001'] }, phones)).toMatchObject({
        region: 'RU-TA',
        source: 'area_code',
      });
    });
  },
);

describe('resolveRegion priority (no registry loaded)', () => {
  const phones = createPhoneRegionResolver();
  const cases: [what: string, input: Partial<RegionInput>, region: string | null, source: string][] = [
    [
      'CRM contact first',
      { contactRegion: 'RU-NVS', companyRegion: 'RU-TA', formRegion: 'RU-MOW' },
      'RU-NVS',
      'crm_contact',
    ],
    ['then CRM company', { companyRegion: 'RU-TA', formRegion: 'RU-MOW' }, 'RU-TA', 'crm_company'],
    ['then the form', { formRegion: 'Москва', phones: ['+78432000001'] }, 'RU-MOW', 'form'],
    ['explicit region by name', { contactRegion: 'Республика Татарстан' }, 'RU-TA', 'crm_contact'],
    ['explicit lower-case code', { contactRegion: 'ru-spe' }, 'RU-SPE', 'crm_contact'],
    [
      'garbage explicit region is skipped',
      { contactRegion: 'где-то', phones: ['+73832000001'] },
      'RU-NVS',
      'area_code',
    ],
    [
      'a mobile without the registry: no region, falls through',
      { phones: ['+79003212345'], city: 'Казань' },
      'RU-TA',
      'channel_city',
    ],
    [
      'channel region before city',
      { regionHint: 'Свердловская область', city: 'Казань' },
      'RU-SVE',
      'channel_region',
    ],
    ['VK city spelled with г. and ё', { city: 'г. Королёв' }, 'RU-MOS', 'channel_city'],
    ['INN last', { city: 'Paris', companyInn: '7802000001' }, 'RU-SPE', 'inn'],
    ['INN of a 2022 subject', { companyInn: '9301000001' }, 'UA-14', 'inn'],
    ['nothing', { city: 'Paris' }, null, 'unknown'],
  ];
  it.each(cases)('%s', (_what, input, region, source) => {
    expect(resolveRegion({ ...none, ...input }, phones)).toMatchObject({ region, source });
  });

  it('parses region values people write', () => {
    expect(parseRegionValue('RU-MOW+RU-MOS')).toBe('RU-MOW+RU-MOS');
    expect(parseRegionValue('Санкт-Петербург')).toBe('RU-SPE');
    expect(parseRegionValue('Набережные Челны')).toBe('RU-TA');
    expect(parseRegionValue('RU-XX')).toBe(undefined);
  });
});
