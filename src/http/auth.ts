import type { MiddlewareHandler } from 'hono';
import { secretEquals } from '../channels/webhook/verify.js';
import { errorBody } from './errors.js';

export interface ApiToken {
  name: string;
  token: string;
}

export type AuthVariables = { actor: string };

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The name of the token an Authorization header carries, or undefined (missing, malformed or unknown). */
export function tokenNames(tokens: readonly ApiToken[]): (header: string | undefined) => string | undefined {
  return (header) => {
    const m = BEARER.exec(header ?? '');
    if (!m?.[1]) return undefined;
    let match: string | undefined;
    // Every token is compared (no early exit), each in constant time.
    for (const t of tokens) if (secretEquals(m[1], t.token)) match = t.name;
    return match;
  };
}

/**
 * Bearer-token auth. Tokens are compared with `secretEquals` (SHA-256 digests, timingSafeEqual): constant
 * time and independent of length. The token's name becomes the actor in the audit trail (`api:<name>`).
 */
export function bearerAuth(tokens: readonly ApiToken[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  const tokenName = tokenNames(tokens);
  return async (c, next) => {
    // A person the web session authenticated just before (analyticsSession, on the routes that allow it).
    if (c.get('actor')?.startsWith('web:')) return next();
    const header = c.req.header('authorization') ?? '';
    if (!BEARER.test(header)) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json(errorBody('unauthorized', 'missing bearer token'), 401);
    }
    const match = tokenName(header);
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return c.json(errorBody('unauthorized', 'invalid token'), 401);
    }
    c.set('actor', `api:${match}`);
    await next();
    return undefined;
  };
}
