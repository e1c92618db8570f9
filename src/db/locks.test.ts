import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { advisoryKey } from './locks.js';

describe('advisoryKey', () => {
  // Daemons of two versions lock the same people and managers during a rolling upgrade: the key of a name
  // must never change between releases.
  it('is the first 8 bytes of the name’s SHA-1, as a signed 64-bit integer', () => {
    // sha1('message|abc') = 2e0f3ad549e75f93…
    expect(advisoryKey('message|abc')).toBe(0x2e0f3ad549e75f93n);
    expect(advisoryKey('manager|ivanov')).toBe(8757997299232179120n);
    // A digest with its high bit set gives a negative key (pg_advisory_xact_lock takes int8).
    expect(advisoryKey('phone|+79851234567')).toBe(-3887567766817468925n);
  });

  it('hashes the UTF-8 bytes of names outside ASCII', () => {
    const name = 'email|иванов@пример.рф';
    expect(advisoryKey(name)).toBe(createHash('sha1').update(name, 'utf8').digest().readBigInt64BE(0));
  });
});
