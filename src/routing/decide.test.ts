import { describe, expect, it } from 'vitest';
import { type DecisionFacts, decideLead } from './decide.js';

const deal = { externalId: 'D-7', stage: 'Производство' };
const open = { status: 'in_progress' };
const base: DecisionFacts = {
  direction: 'in',
  deal: null,
  openLead: null,
  contactStatus: 'prospect',
  created: false,
};

describe('decideLead', () => {
  it.each<[string, Partial<DecisionFacts>, string, string]>([
    [
      'outbound, even with a deal and an open lead',
      { direction: 'out', deal, openLead: open },
      'outbound',
      'rule_2_outbound',
    ],
    ['outbound from a new contact', { direction: 'out', created: true }, 'outbound', 'rule_2_outbound'],
    [
      'active deal wins over an open lead',
      { deal, openLead: open },
      'attached_to_deal',
      'rule_4_active_deal',
    ],
    ['active deal of a client', { deal, contactStatus: 'client' }, 'attached_to_deal', 'rule_4_active_deal'],
    ['open lead of a prospect', { openLead: open }, 'attached_to_lead', 'rule_5_open_lead'],
    [
      'open lead of a client: no second lead',
      { openLead: open, contactStatus: 'client' },
      'attached_to_lead',
      'rule_5_open_lead',
    ],
    ['known client without deal or lead', { contactStatus: 'client' }, 'repeat_lead', 'rule_6_known_client'],
    ['new prospect', { created: true }, 'new_lead', 'rule_7_unknown'],
    ['prospect whose earlier leads were junked', {}, 'new_lead', 'rule_7_unknown'],
  ])('%s', (_name, facts, kind, rule) => {
    const d = decideLead({ ...base, ...facts });
    expect(d.kind).toBe(kind);
    expect(d.rule).toBe(rule);
  });

  it('explains itself without personal data', () => {
    expect(decideLead({ ...base, deal }).because).toBe(
      'the contact has an active deal D-7 (stage "Производство")',
    );
    expect(decideLead({ ...base, deal: { externalId: 'D-8', stage: null } }).because).toBe(
      'the contact has an active deal D-8',
    );
    expect(decideLead({ ...base, openLead: { status: 'new' } }).because).toContain('status new');
    expect(decideLead({ ...base, created: true }).because).toBe('new lead for a new prospect');
    expect(decideLead(base).because).toBe('the contact is a prospect without an open lead: new lead');
  });
});
