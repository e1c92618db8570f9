import { describe, expect, it } from 'vitest';
import { routingRulesSchema } from '../config/routing.js';
import { matchRule, type RuleFacts } from './rules.js';

const rules = routingRulesSchema.parse([
  { id: 'partners', when: { clientTypes: ['partner'] }, team: 'partners' },
  { id: 'msk', when: { regions: ['RU-MOW+RU-MOS'] }, team: 'moscow' },
  { id: 'spb_city', when: { regions: ['RU-SPE'] }, team: 'spb' },
  { id: 'siberia', when: { federalDistricts: ['siberian', 'far_eastern'] }, team: 'east' },
  { id: 'avito_repeat', when: { channels: ['avito'], leadKinds: ['repeat'] }, team: 'avito' },
  { id: 'unknown_region', when: { regionKnown: false }, team: 'callcenter' },
]);

const base: RuleFacts = {
  clientType: 'retail',
  region: 'RU-TA',
  federalDistrict: 'volga',
  channel: 'webform',
  leadKind: 'new',
};

describe('matchRule: ordered, first match wins', () => {
  const cases: [what: string, facts: Partial<RuleFacts>, rule: string, team: string][] = [
    [
      'client type first',
      { clientType: 'partner', region: 'RU-MOW', federalDistrict: 'central' },
      'partners',
      'partners',
    ],
    [
      'a subject matches a macro-territory that contains it',
      { region: 'RU-MOS', federalDistrict: 'central' },
      'msk',
      'moscow',
    ],
    ['the macro-territory itself', { region: 'RU-MOW+RU-MOS', federalDistrict: 'central' }, 'msk', 'moscow'],
    ['a subject rule', { region: 'RU-SPE', federalDistrict: 'northwestern' }, 'spb_city', 'spb'],
    [
      'a joint range does not match a rule on one of its subjects',
      { region: 'RU-SPE+RU-LEN', federalDistrict: 'northwestern' },
      'fallback',
      'retail',
    ],
    ['federal district', { region: 'RU-NVS', federalDistrict: 'siberian' }, 'siberia', 'east'],
    ['channel and lead kind together', { channel: 'avito', leadKind: 'repeat' }, 'avito_repeat', 'avito'],
    ['channel alone is not enough', { channel: 'avito' }, 'fallback', 'retail'],
    ['unknown region', { region: null, federalDistrict: null }, 'unknown_region', 'callcenter'],
    ['nothing matches: fallback', {}, 'fallback', 'retail'],
  ];
  it.each(cases)('%s', (_what, facts, rule, team) => {
    const m = matchRule(rules, { ...base, ...facts }, 'retail');
    expect(m).toMatchObject({ rule, team });
    expect(m.why).not.toBe('');
  });

  it('a rule without conditions matches every lead', () => {
    const all = routingRulesSchema.parse([{ id: 'all', team: 'x' }]);
    expect(matchRule(all, base, 'retail')).toMatchObject({ rule: 'all', why: 'matches every lead' });
  });
});
