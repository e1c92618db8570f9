import type { CountryCode } from 'libphonenumber-js';
import type { IdentityKind, RawIdentity } from '../core/communication.js';
import { isRobotAddress, normalizeEmail } from './email.js';
import { normalizePhone } from './phone.js';

/** A normalized identity: the unique key (kind, value) of a person. */
export interface Identity {
  kind: IdentityKind;
  value: string;
}

/** What never identifies a client: the company's own numbers, addresses and domains. */
export interface IdentityPolicy {
  defaultCountry: CountryCode;
  ownPhones: ReadonlySet<string>;
  ownEmails: ReadonlySet<string>;
  ownDomains: ReadonlySet<string>;
}

export type RejectReason =
  | 'empty'
  | 'unparseable'
  | 'invalid'
  | 'placeholder'
  | 'own_number'
  | 'own_address'
  | 'own_domain'
  | 'robot_address'
  | 'too_long';

export type IdentityResult =
  | { ok: true; identity: Identity; extension?: string }
  | { ok: false; kind: IdentityKind; reason: RejectReason };

const MAX_MESSENGER_ID = 200;

/** Builds the policy from config values given in any format; own numbers are normalized like any other. */
export function createIdentityPolicy(input: {
  defaultCountry?: CountryCode;
  ownPhones?: readonly string[];
  ownEmails?: readonly string[];
  ownDomains?: readonly string[];
}): IdentityPolicy {
  const defaultCountry = input.defaultCountry ?? 'RU';
  const ownPhones = new Set<string>();
  for (const p of input.ownPhones ?? []) {
    const r = normalizePhone(p, defaultCountry);
    if (r.ok) ownPhones.add(r.e164);
  }
  const ownEmails = new Set<string>();
  for (const e of input.ownEmails ?? []) {
    const r = normalizeEmail(e);
    if (r.ok) ownEmails.add(r.email);
  }
  const ownDomains = new Set((input.ownDomains ?? []).map((d) => d.trim().toLowerCase().replace(/^@/, '')));
  return { defaultCountry, ownPhones, ownEmails, ownDomains };
}

/**
 * Normalizes one raw identity under the policy. Pure. Messenger ids are scoped by channel account
 * (`<account>:<id>`): Viber and Avito ids are only unique within one bot/profile.
 */
export function normalizeIdentity(raw: RawIdentity, policy: IdentityPolicy): IdentityResult {
  switch (raw.kind) {
    case 'phone': {
      const r = normalizePhone(raw.value, policy.defaultCountry);
      if (!r.ok) return { ok: false, kind: 'phone', reason: r.reason };
      if (policy.ownPhones.has(r.e164)) return { ok: false, kind: 'phone', reason: 'own_number' };
      return {
        ok: true,
        identity: { kind: 'phone', value: r.e164 },
        ...(r.extension ? { extension: r.extension } : {}),
      };
    }
    case 'email': {
      const r = normalizeEmail(raw.value);
      if (!r.ok) return { ok: false, kind: 'email', reason: r.reason };
      if (policy.ownEmails.has(r.email)) return { ok: false, kind: 'email', reason: 'own_address' };
      if (isOwnDomain(r.domain, policy.ownDomains)) return { ok: false, kind: 'email', reason: 'own_domain' };
      if (isRobotAddress(r.email)) return { ok: false, kind: 'email', reason: 'robot_address' };
      return { ok: true, identity: { kind: 'email', value: r.email } };
    }
    case 'whatsapp':
    case 'vk':
    case 'avito':
    case 'viber':
    case 'telegram':
    case 'max': {
      const id = raw.value.trim();
      const account = raw.account.trim();
      if (id === '' || account === '') return { ok: false, kind: raw.kind, reason: 'empty' };
      if (id.length > MAX_MESSENGER_ID) return { ok: false, kind: raw.kind, reason: 'too_long' };
      return { ok: true, identity: { kind: raw.kind, value: `${account}:${id}` } };
    }
    default: {
      const _exhaustive: never = raw;
      return _exhaustive;
    }
  }
}

function isOwnDomain(domain: string, own: ReadonlySet<string>): boolean {
  if (own.has(domain)) return true;
  // Subdomains of our own domain (mail.example.ru) are ours too.
  for (const d of own) if (domain.endsWith(`.${d}`)) return true;
  return false;
}

/** Key used for advisory locks and maps: `kind|value`. */
export function identityKey(identity: Identity): string {
  return `${identity.kind}|${identity.value}`;
}
