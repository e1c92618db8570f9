import type { EmailConfig } from './config.js';

/** Why a message is kept out of the lead rules. */
export type SkipRule =
  | 'skip_auto_reply'
  | 'skip_bounce'
  | 'skip_own_address'
  | 'skip_blocklisted'
  | 'skip_no_sender';

export interface SkipVerdict {
  rule: SkipRule;
  reason: string;
}

/** What the classifier looks at: headers (lower-case names) and a few parsed facts. Pure data. */
export interface MailFacts {
  headers: ReadonlyMap<string, unknown>;
  contentType: string;
  /** Sender address, lower-cased; absent when the From header has none. */
  from?: string;
  subject: string;
}

export interface SenderPolicy {
  /** Our own addresses (company emails, every mailbox address), lower-cased. */
  ownAddresses: ReadonlySet<string>;
  ownDomains: readonly string[];
  blockedSenders: ReadonlySet<string>;
  blockedDomains: readonly string[];
}

export function createSenderPolicy(input: {
  companyEmails: readonly string[];
  companyDomains: readonly string[];
  email: Pick<EmailConfig, 'mailboxes' | 'blocklist'>;
}): SenderPolicy {
  const lower = (s: string) => s.trim().toLowerCase().replace(/^@/, '');
  return {
    ownAddresses: new Set(
      [...input.companyEmails, ...input.email.mailboxes.map((m) => m.address)].map(lower),
    ),
    ownDomains: input.companyDomains.map(lower),
    blockedSenders: new Set(input.email.blocklist.senders.map(lower)),
    blockedDomains: input.email.blocklist.domains.map(lower),
  };
}

// Subjects mail servers and clients put on automatic answers (Exchange/Outlook, Gmail, Yandex, Mail.ru).
const AUTO_SUBJECT =
  /^\s*(?:(?:re|fw|fwd|ответ|отв)\s*:\s*)*(?:auto(?:matic)?[\s-]*(?:reply|response|antwort)|autoreply|out of (?:the )?office|abwesenheitsnotiz|автоответ|автоматический ответ|нет на месте|я в отпуске|отсутствую|вне офиса)/i;
const BOUNCE_SUBJECT =
  /^\s*(?:undeliver(?:ed|able)|delivery (?:status notification|failure|has failed)|mail delivery failed|returned mail|failure notice|недоставленное сообщение|сообщение не доставлено|не удалось доставить)/i;
const BOUNCE_SENDER = /^(?:mailer[-_.]?daemon|postmaster)@/i;

function header(facts: MailFacts, name: string): string | undefined {
  const v = facts.headers.get(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'value' in (v as object)) return String((v as { value: unknown }).value);
  return String(v);
}

function inDomains(address: string, domains: readonly string[]): boolean {
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
}

/**
 * Decides whether a message must stay out of the lead rules. Order matters: a bounce is often also
 * auto-submitted; it is reported as a bounce. Returns undefined for mail a person wrote to us.
 */
export function classifyMail(facts: MailFacts, policy: SenderPolicy): SkipVerdict | undefined {
  const ct = facts.contentType.toLowerCase();
  if (
    (ct.startsWith('multipart/report') && /report-type="?delivery-status/i.test(ct)) ||
    (facts.from && BOUNCE_SENDER.test(facts.from)) ||
    header(facts, 'x-failed-recipients') !== undefined ||
    BOUNCE_SUBJECT.test(facts.subject)
  )
    return { rule: 'skip_bounce', reason: 'a delivery status notification (bounce), not a person writing' };

  const autoSubmitted = header(facts, 'auto-submitted')?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no')
    return {
      rule: 'skip_auto_reply',
      reason: `an automatic message (Auto-Submitted: ${autoSubmitted.slice(0, 40)})`,
    };
  for (const name of facts.headers.keys())
    if (
      /^x-(?:.*-)?auto-?(?:reply|respond|response)(?:-.*)?$/.test(name) &&
      name !== 'x-auto-response-suppress'
    )
      return { rule: 'skip_auto_reply', reason: `an automatic reply (${name} header)` };
  const precedence = header(facts, 'precedence')?.trim().toLowerCase();
  if (precedence === 'auto_reply')
    return { rule: 'skip_auto_reply', reason: 'an automatic reply (Precedence)' };
  if (AUTO_SUBJECT.test(facts.subject))
    return { rule: 'skip_auto_reply', reason: 'an automatic reply ("out of office" subject)' };

  if (!facts.from) return { rule: 'skip_no_sender', reason: 'the From header carries no address' };
  if (policy.ownAddresses.has(facts.from) || inDomains(facts.from, policy.ownDomains))
    return { rule: 'skip_own_address', reason: 'sent from our own address (a copy of our mail)' };
  if (policy.blockedSenders.has(facts.from) || inDomains(facts.from, policy.blockedDomains))
    return { rule: 'skip_blocklisted', reason: 'the sender is on the configured blocklist' };
  return undefined;
}
