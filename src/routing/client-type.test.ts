import { describe, expect, it } from 'vitest';
import { clientTypesSchema } from '../config/routing.js';
import { type ClientTypeInput, classifyClient } from './client-type.js';

const cfg = clientTypesSchema.parse({
  types: ['partner', 'retail', 'designer'],
  default: 'retail',
  rules: [
    { id: 'partner_list', type: 'partner', when: { partnerList: true } },
    { id: 'company_inn', type: 'partner', when: { hasInn: true } },
    { id: 'avito', type: 'retail', when: { channels: ['avito'] } },
    { id: 'designer_form', type: 'designer', when: { accounts: ['designers-form'] } },
    { id: 'wholesale', type: 'partner', when: { keywords: ['опт', 'дилер', 'для магазина'] } },
  ],
  partners: { companies: ['ООО "Мебель-Опт"'], inns: ['1655000001'], emailDomains: ['mebel-opt.ru'] },
});

const base: ClientTypeInput = {
  channel: 'webform',
  account: 'site',
  contactType: null,
  companyType: null,
  company: null,
  emailDomains: [],
  text: 'Нужен прилавок 2 м',
};

describe('classifyClient', () => {
  const cases: [what: string, input: Partial<ClientTypeInput>, type: string, source: string][] = [
    ['nothing known: default', {}, 'retail', 'default'],
    [
      'CRM type on the contact wins over everything',
      { contactType: 'designer', company: { name: 'x', inn: '1655000001' } },
      'designer',
      'crm_contact',
    ],
    ['CRM type on the company next', { companyType: 'partner', channel: 'avito' }, 'partner', 'crm_company'],
    ['form type after CRM', { formType: 'designer' }, 'designer', 'form'],
    ['CRM contact beats form', { contactType: 'retail', formType: 'partner' }, 'retail', 'crm_contact'],
    ['partner list by INN', { company: { name: 'ИП Иванов', inn: '1655000001' } }, 'partner', 'partner_list'],
    [
      'partner list by company name, any quotes and legal form',
      { company: { name: 'мебель-опт', inn: null } },
      'partner',
      'partner_list',
    ],
    ['partner list by email subdomain', { emailDomains: ['spb.mebel-opt.ru'] }, 'partner', 'partner_list'],
    [
      'a company with an INN',
      { company: { name: 'ООО Ромашка', inn: '7701000001' } },
      'partner',
      'company_inn',
    ],
    ['Avito is retail', { channel: 'avito', text: 'Сколько стоит оптом?' }, 'retail', 'avito'],
    ['a source account', { account: 'designers-form' }, 'designer', 'designer_form'],
    ['keyword at a word start, any case', { text: 'Интересует ОПТОВАЯ закупка' }, 'partner', 'wholesale'],
    ['keyword phrase', { text: 'Витрины для магазина, 5 шт' }, 'partner', 'wholesale'],
    ['ё and е are the same', { text: 'Мы дилёры' }, 'partner', 'wholesale'],
    ['a keyword inside a word does not count', { text: 'Салон экстраоптика' }, 'retail', 'default'],
  ];
  it.each(cases)('%s', (_what, input, type, source) => {
    const fact = classifyClient(cfg, { ...base, ...input });
    expect(fact).toMatchObject({ type, source });
    expect(fact.why).not.toBe('');
  });

  it('ignores an explicit type that is not configured, and says so', () => {
    const fact = classifyClient(cfg, { ...base, contactType: 'wholesale', text: 'дилер' });
    expect(fact).toMatchObject({ type: 'partner', source: 'wholesale' });
    expect(fact.ignored).toEqual(['crm_contact "wholesale" is not a configured type']);
  });

  it('explains the rule: all conditions of a rule must hold', () => {
    const strict = clientTypesSchema.parse({
      rules: [{ id: 'avito_company', type: 'partner', when: { channels: ['avito'], hasInn: true } }],
    });
    expect(classifyClient(strict, { ...base, channel: 'avito' }).source).toBe('default');
    expect(
      classifyClient(strict, { ...base, channel: 'avito', company: { name: null, inn: '7701000001' } }),
    ).toMatchObject({ type: 'partner', why: 'the company has an INN, channel avito' });
  });
});
