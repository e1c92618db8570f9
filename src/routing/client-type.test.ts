import { describe, expect, it } from 'vitest';
import { loadSettings } from '../config/load.js';
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
    { id: 'wholesale', type: 'partner', when: { keywords: ['опт', 'оптов*', 'дилер*', 'для магазина'] } },
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
    ['a stem at a word start, any case', { text: 'Интересует ОПТОВАЯ закупка' }, 'partner', 'wholesale'],
    ['a whole word, any punctuation', { text: 'Цены опт/розница? Опт.' }, 'partner', 'wholesale'],
    [
      'a word is not a stem: «опт» in «оптимальный»',
      { text: 'Подскажите оптимальный размер шкафа-купе' },
      'retail',
      'default',
    ],
    ['«опт» in «оптика»', { text: 'Мы магазин оптика, нужна витрина' }, 'retail', 'default'],
    ['a phrase is whole words too', { text: 'Витрины для магазинаX' }, 'retail', 'default'],
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

describe('the sample config', () => {
  it('sends a retail buyer who writes «оптимальный» or «оптика» to retail, and wholesale words to partners', async () => {
    const { config } = await loadSettings({});
    const type = (text: string) => classifyClient(config.routing.clientTypes, { ...base, text }).type;
    expect(type('Подскажите оптимальный размер шкафа-купе')).toBe('retail');
    expect(type('Нужна витрина для салона «Оптика»')).toBe('retail');
    expect(type('Закупаем оптом, нужен прайс')).toBe('partner');
    expect(type('Интересуют оптовые цены')).toBe('partner');
    expect(type('Опт от 10 шт?')).toBe('partner');
    expect(type('Хотим стать дилерами')).toBe('partner');
  });
});
