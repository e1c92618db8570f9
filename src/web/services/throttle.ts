import type { Queryable } from '../../db/queryable.js';

/**
 * Login throttling: after `maxFailures` wrong passwords for one login (or from one address) within `windowMs`,
 * further attempts are refused until the window passes. Kept in the database (`web_login_failures`), so that
 * several daemons on one database count together and a restart does not hand a guesser a fresh allowance.
 * Each refused guess also costs the server one scrypt (~50 ms), which bounds the table's growth in a window.
 */
export function createLoginThrottle(sql: Queryable, opts: { maxFailures?: number; windowMs?: number } = {}) {
  const max = opts.maxFailures ?? 5;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const since = (now: number) => new Date(now - windowMs);
  return {
    /** Whether another attempt for this login from this address may be checked now. */
    async allowed(keys: readonly string[], now: number): Promise<boolean> {
      const [row] = await sql<{ worst: number }[]>`
        SELECT coalesce(max(n), 0)::int AS worst FROM (
          SELECT count(*) AS n FROM web_login_failures
          WHERE key = ANY(${keys as string[]}) AND failed_at > ${since(now)}
          GROUP BY key) counts`;
      return (row?.worst ?? 0) < max;
    },
    async failed(keys: readonly string[], now: number): Promise<void> {
      const at = new Date(now);
      await sql`
        INSERT INTO web_login_failures (key, failed_at)
        SELECT k, ${at} FROM unnest(${keys as string[]}::text[]) AS k`;
      // What has left every window is of no use any more.
      await sql`DELETE FROM web_login_failures WHERE failed_at <= ${since(now)}`;
    },
    async succeeded(keys: readonly string[]): Promise<void> {
      await sql`DELETE FROM web_login_failures WHERE key = ANY(${keys as string[]})`;
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
