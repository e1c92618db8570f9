import type { Clock } from '../../core/clock.js';

/**
 * A small in-memory cache with a time to live and a size cap (oldest entries go first), for provider
 * lookups that change rarely: VK profiles, Avito chats and listings.
 */
export function createTtlCache<V>(opts: { ttlMs: number; max: number; clock: Clock }) {
  const entries = new Map<string, { value: V; until: number }>();
  return {
    get(key: string): V | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.until <= opts.clock().getTime()) {
        entries.delete(key);
        return undefined;
      }
      return e.value;
    },
    set(key: string, value: V): void {
      entries.delete(key);
      entries.set(key, { value, until: opts.clock().getTime() + opts.ttlMs });
      if (entries.size > opts.max) entries.delete(entries.keys().next().value as string);
    },
  };
}
