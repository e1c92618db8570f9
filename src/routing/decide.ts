import type { DecisionKind, Direction } from '../core/communication.js';

/** What the lead rules know about the sender once the contact is resolved and locked. */
export interface DecisionFacts {
  direction: Direction;
  /** The contact's most recently updated active deal. */
  deal: { externalId: string; stage: string | null } | null;
  /** The contact's open lead (`new` or `in_progress`). */
  openLead: { status: string } | null;
  /** `client`: pushed by the CRM, has a deal, or had a lead converted. */
  contactStatus: 'prospect' | 'client';
  /** The contact was created by this communication. */
  created: boolean;
}

export interface LeadDecision {
  kind: Exclude<DecisionKind, 'duplicate'>;
  rule: string;
  /** Why this rule fired, for the decision's reason and the audit trail (no personal data). */
  because: string;
}

/**
 * The lead rules 2 and 4–7 as a pure function (rule 1, the duplicate, and rule 3, contact resolution, need the
 * database and come first):
 *  2 outbound -> attached to the conversation, never a lead
 *  4 active deal -> attached_to_deal;  5 open lead -> attached_to_lead;
 *  6 known client -> repeat_lead;      7 otherwise -> new_lead
 */
export function decideLead(f: DecisionFacts): LeadDecision {
  if (f.direction === 'out')
    return {
      kind: 'outbound',
      rule: 'rule_2_outbound',
      because: 'sent by us: attached to the conversation, never a lead',
    };
  if (f.deal)
    return {
      kind: 'attached_to_deal',
      rule: 'rule_4_active_deal',
      because: `the contact has an active deal ${f.deal.externalId}${f.deal.stage ? ` (stage "${f.deal.stage}")` : ''}`,
    };
  if (f.openLead)
    return {
      kind: 'attached_to_lead',
      rule: 'rule_5_open_lead',
      because: `the contact already has an open lead (status ${f.openLead.status}): no second lead`,
    };
  if (f.contactStatus === 'client')
    return {
      kind: 'repeat_lead',
      rule: 'rule_6_known_client',
      because: 'the contact is a known client without an active deal or open lead: repeat lead',
    };
  return {
    kind: 'new_lead',
    rule: 'rule_7_unknown',
    because: f.created
      ? 'new lead for a new prospect'
      : 'the contact is a prospect without an open lead: new lead',
  };
}
