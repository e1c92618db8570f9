import type { ClientTypesConfig } from '../config/routing.js';
import type { ChannelKind } from '../core/communication.js';

/** What the client-type rules look at. Built from the contact, its company, the sender and the first message. */
export interface ClientTypeInput {
  channel: ChannelKind;
  account: string;
  /** Type stated by the CRM on the contact / on its company. */
  contactType: string | null;
  companyType: string | null;
  /** Type stated by a form field. */
  formType?: string | undefined;
  company: { name: string | null; inn: string | null } | null;
  /** Domains of the sender's email addresses. */
  emailDomains: readonly string[];
  /** Subject and text of the first message. */
  text: string;
}

/** The client type, the step that decided it and why (stored in the routing trace). */
export interface ClientTypeFact {
  type: string;
  /** `crm_contact`, `crm_company`, `form`, a rule id, or `default`. */
  source: string;
  why: string;
  /** Explicit values that were ignored (not a configured type). */
  ignored?: string[];
}

/**
 * Classifies a client. Order: an explicit type from the CRM contact, then the CRM company, then a form field;
 * then the configured rules in order (all conditions of a rule must hold); then the default type. Explicit
 * values that are not configured types are ignored and reported. Pure.
 */
export function classifyClient(cfg: ClientTypesConfig, input: ClientTypeInput): ClientTypeFact {
  const ignored: string[] = [];
  const explicit: [string, string | null | undefined, string][] = [
    ['crm_contact', input.contactType, 'stated by the CRM on the contact'],
    ['crm_company', input.companyType, 'stated by the CRM on the company'],
    ['form', input.formType, 'stated by the form'],
  ];
  for (const [source, value, why] of explicit) {
    if (!value) continue;
    if (cfg.types.includes(value)) return withIgnored({ type: value, source, why }, ignored);
    ignored.push(`${source} "${value}" is not a configured type`);
  }
  const partner = partnerListMatch(cfg.partners, input);
  const text = normalizeText(input.text);
  for (const [i, rule] of cfg.rules.entries()) {
    const reasons: string[] = [];
    const w = rule.when;
    const hasInn = Boolean(input.company?.inn);
    if (w.hasInn !== undefined) {
      if (w.hasInn !== hasInn) continue;
      reasons.push(hasInn ? 'the company has an INN' : 'no company INN');
    }
    if (w.partnerList !== undefined) {
      if (w.partnerList !== (partner !== undefined)) continue;
      reasons.push(partner ?? 'not on the partner list');
    }
    if (w.channels) {
      if (!w.channels.includes(input.channel)) continue;
      reasons.push(`channel ${input.channel}`);
    }
    if (w.accounts) {
      if (!w.accounts.includes(input.account)) continue;
      reasons.push(`source ${input.account}`);
    }
    if (w.keywords) {
      const hit = w.keywords.find((k) => containsWord(text, normalizeText(k)));
      if (hit === undefined) continue;
      reasons.push(`keyword "${hit}" in the first message`);
    }
    const source = rule.id ?? `client_type_${i + 1}`;
    return withIgnored({ type: rule.type, source, why: reasons.join(', ') }, ignored);
  }
  return withIgnored({ type: cfg.default, source: 'default', why: 'no rule matched' }, ignored);
}

function withIgnored(fact: ClientTypeFact, ignored: string[]): ClientTypeFact {
  return ignored.length > 0 ? { ...fact, ignored } : fact;
}

/** Why the client is on the partner list (by company name, INN or email domain), or undefined. */
function partnerListMatch(list: ClientTypesConfig['partners'], input: ClientTypeInput): string | undefined {
  const inn = input.company?.inn;
  if (inn && list.inns.includes(inn)) return 'the company INN is on the partner list';
  const name = input.company?.name ? companyKey(input.company.name) : undefined;
  if (name && list.companies.some((c) => companyKey(c) === name)) return 'the company is on the partner list';
  for (const domain of input.emailDomains) {
    const d = domain.toLowerCase();
    if (list.emailDomains.some((p) => d === p.toLowerCase() || d.endsWith(`.${p.toLowerCase()}`)))
      return `email domain ${d} is on the partner list`;
  }
  return undefined;
}

/** Company names compare without case, quotes and legal form: `ООО "Ромашка"` = `ромашка`. */
function companyKey(name: string): string {
  return normalizeText(name)
    .replace(/["'«»“”„]/g, ' ')
    .replace(/^\s*(ооо|оао|пао|зао|ао|ип|llc|ltd)\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function normalizeText(text: string): string {
  return text.toLowerCase().replace(/ё/g, 'е');
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * The keyword occurs as whole words: "опт" matches "Опт." and "опт и розница" but not "оптимальный" or "оптика".
 * A trailing `*` makes it a stem: "оптов*" matches "оптовая" and "оптовики". Phrases work the same way.
 */
function containsWord(text: string, keyword: string): boolean {
  const stem = keyword.endsWith('*');
  const phrase = stem ? keyword.slice(0, -1) : keyword;
  for (let at = text.indexOf(phrase); at !== -1; at = text.indexOf(phrase, at + 1)) {
    const before = at === 0 || !WORD_CHAR.test(text[at - 1]!);
    const after = text[at + phrase.length];
    if (before && (stem || after === undefined || !WORD_CHAR.test(after))) return true;
  }
  return false;
}
