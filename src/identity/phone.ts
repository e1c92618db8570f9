import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

export type PhoneResult =
  | { ok: true; e164: string; extension?: string; country?: string }
  | { ok: false; reason: 'empty' | 'unparseable' | 'invalid' | 'placeholder' };

/**
 * Normalizes a phone number in any format a channel sends ("8 (912) 345-67-89", "+7 912…", "79123456789",
 * "9123456789", "sip:79123456789@pbx", "… доб. 12") to E.164. The extension is returned apart: it is not
 * part of the person's identity. Pure; no knowledge of the company's own numbers (see IdentityPolicy).
 */
export function normalizePhone(input: string, defaultCountry: CountryCode = 'RU'): PhoneResult {
  if (input.length > KEPT_INPUT_LENGTH) return parsePhone(input, defaultCountry);
  const key = `${defaultCountry} ${input}`;
  let result = kept.get(key);
  if (!result) {
    result = Object.freeze(parsePhone(input, defaultCountry));
    if (kept.size >= KEPT_RESULTS) kept.clear();
    kept.set(key, result);
  }
  return result;
}

// An event's numbers are normalized more than once (by its channel, then by contact resolution), and the same
// people write again and again; parsing is the costly part (~12 µs a number), so recent results are kept.
const KEPT_RESULTS = 4096;
const KEPT_INPUT_LENGTH = 64;
const kept = new Map<string, PhoneResult>();

function parsePhone(input: string, defaultCountry: CountryCode): PhoneResult {
  const cleaned = stripSipUri(input.trim());
  if (cleaned === '') return { ok: false, reason: 'empty' };
  const digits = cleaned.replace(/\D/g, '');
  // "0000000", "1111111111": placeholders typed into forms to get past a required field.
  if (digits.length > 0 && /^(\d)\1+$/.test(digits)) return { ok: false, reason: 'placeholder' };
  const parsed = parsePhoneNumberFromString(cleaned, { defaultCountry, extract: true });
  if (!parsed) return { ok: false, reason: 'unparseable' };
  if (!parsed.isValid()) return { ok: false, reason: 'invalid' };
  return {
    ok: true,
    e164: parsed.number,
    ...(parsed.ext ? { extension: parsed.ext } : {}),
    ...(parsed.country ? { country: parsed.country } : {}),
  };
}

/** PBXs send callers as SIP URIs: `sip:79123456789@pbx.example`, `<sip:+7912…@host>;tag=…`. */
function stripSipUri(value: string): string {
  const m = /^<?sips?:([^@;>]+)(?:@[^>]*)?>?/i.exec(value);
  return m?.[1] ?? value;
}
