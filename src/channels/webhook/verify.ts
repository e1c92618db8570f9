import { createHmac, hash, timingSafeEqual } from 'node:crypto';

const digest = (s: string | Uint8Array) => hash('sha256', s, 'buffer');

/**
 * Compares two secrets in constant time, independent of their lengths (both sides are hashed first, so the
 * comparison never leaks the expected length). Used for webhook tokens and the API's bearer tokens.
 */
export function secretEquals(given: string | undefined | null, expected: string): boolean {
  if (given === undefined || given === null) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** HMAC of `body` with `key`, as lowercase hex (Viber's X-Viber-Content-Signature, many vendors' schemes). */
export function hmacHex(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  key: string,
  body: string | Uint8Array,
): string {
  return createHmac(algorithm, key).update(body).digest('hex');
}

/** Checks a hex HMAC signature in constant time; case-insensitive, an optional `sha256=` prefix allowed. */
export function hmacHexEquals(
  algorithm: 'sha1' | 'sha256' | 'sha512',
  key: string,
  body: string | Uint8Array,
  given: string | undefined | null,
): boolean {
  if (!given) return false;
  const hex = given
    .trim()
    .toLowerCase()
    .replace(/^sha(1|256|512)=/, '');
  return secretEquals(hex, hmacHex(algorithm, key, body));
}
