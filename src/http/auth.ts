import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorBody } from './errors.js';

export interface ApiToken {
  name: string;
  token: string;
}

export type AuthVariables = { actor: string };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token auth. Tokens are compared as SHA-256 digests with timingSafeEqual: constant time and
 * independent of length. The token's name becomes the actor in the audit trail (`api:<name>`).
 */
export function bearerAuth(tokens: readonly ApiToken[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  const known = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json(errorBody('unauthorized', 'missing bearer token'), 401);
    }
    const given = digest(m[1]);
    let match: string | undefined;
    for (const t of known) if (timingSafeEqual(t.digest, given)) match = t.name;
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return c.json(errorBody('unauthorized', 'invalid token'), 401);
    }
    c.set('actor', `api:${match}`);
    await next();
    return undefined;
  };
}
