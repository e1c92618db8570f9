/**
 * Login throttling: after `maxFailures` wrong passwords for one login (or from one address) within `windowMs`,
 * further attempts are refused until the window passes. In memory: a restart forgets, which is acceptable for
 * slowing down guessing (scrypt already makes each guess cost ~50 ms).
 */
export function createLoginThrottle(opts: { maxFailures?: number; windowMs?: number } = {}) {
  const max = opts.maxFailures ?? 5;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number) => {
    const list = (failures.get(key) ?? []).filter((t) => now - t < windowMs);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    /** Whether another attempt for this login from this address may be checked now. */
    allowed(keys: readonly string[], now: number): boolean {
      return keys.every((k) => recent(k, now).length < max);
    },
    failed(keys: readonly string[], now: number): void {
      for (const k of keys) failures.set(k, [...recent(k, now), now]);
      if (failures.size > 10_000) failures.clear(); // a flood of made-up logins must not grow memory forever
    },
    succeeded(keys: readonly string[]): void {
      for (const k of keys) failures.delete(k);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
