import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../db/queryable.js';

/** Sessions live in the database, so a restart (or a second daemon) keeps everyone signed in. */
export const SESSION_TTL_MS = 14 * 24 * 3_600_000;
/** Last-seen is written at most this often (one write per active person per interval, not per request). */
const TOUCH_EVERY_MS = 10 * 60_000;

export interface Session {
  login: string;
  csrfToken: string;
  lastSeenAt: Date;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createSession(sql: Queryable, login: string, now: Date): Promise<{ token: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  await sql`
    INSERT INTO web_sessions (token_hash, login, csrf_token, created_at, last_seen_at, expires_at)
    VALUES (${hashOf(token)}, ${login}, ${csrf}, ${now}, ${now}, ${new Date(now.getTime() + SESSION_TTL_MS)})`;
  // Expired sessions of anyone are swept on sign-in: cheap (indexed) and needs no worker.
  await sql`DELETE FROM web_sessions WHERE expires_at < ${now}`;
  return { token };
}

/** The live session of a cookie token; sliding expiry, refreshed at most every TOUCH_EVERY_MS. */
export async function findSession(sql: Queryable, token: string, now: Date): Promise<Session | undefined> {
  const [row] = await sql<Session[]>`
    SELECT login, csrf_token, last_seen_at FROM web_sessions
    WHERE token_hash = ${hashOf(token)} AND expires_at > ${now}`;
  if (row && now.getTime() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS)
    await sql`UPDATE web_sessions SET last_seen_at = ${now}, expires_at = ${new Date(now.getTime() + SESSION_TTL_MS)}
              WHERE token_hash = ${hashOf(token)}`;
  return row;
}

export async function deleteSession(sql: Queryable, token: string): Promise<void> {
  await sql`DELETE FROM web_sessions WHERE token_hash = ${hashOf(token)}`;
}
