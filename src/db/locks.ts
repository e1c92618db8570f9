import { hash } from 'node:crypto';
import type { Queryable as Sql } from './queryable.js';

/**
 * A stable signed 64-bit key for pg_advisory_xact_lock derived from a string: the first 8 bytes of its SHA-1.
 * One-shot `hash` gives the same bytes as createHash('sha1').update(name).digest(), without a Hash object per
 * key (a decision batch makes ~15 at the least: its messages, identities and every manager).
 */
export function advisoryKey(name: string): bigint {
  return hash('sha1', name, 'buffer').readBigInt64BE(0);
}

/**
 * Takes transaction-scoped advisory locks on every name, in ascending key order so that two transactions
 * locking overlapping sets can never deadlock. Hash collisions only serialize unrelated work; they are harmless.
 */
export async function lockNames(tx: Sql, names: readonly string[]): Promise<void> {
  const keys = [...new Set(names.map(advisoryKey))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return;
  await tx`SELECT count(pg_advisory_xact_lock(k)) FROM unnest(${keys.map(String)}::int8[]) WITH ORDINALITY AS t(k, n)`;
}
