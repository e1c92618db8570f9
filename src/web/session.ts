import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { WebDeps, WebEnv } from './context.js';
import { ru } from './i18n/ru.js';
import { HttpPageError } from './pages/errors.js';
import { findSession } from './services/sessions.js';
import { webUser } from './services/users.js';

export const SESSION_COOKIE = 'sb_session';

const SECURITY_HEADERS: [string, string][] = [
  [
    'Content-Security-Policy',
    // https: images and audio: a messenger photo or voice message the provider serves by URL (docs/web.md).
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; media-src 'self' https:; " +
      "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  ],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'same-origin'],
  ['X-Frame-Options', 'DENY'],
];

/**
 * Security headers for every page: no inline scripts, nothing from elsewhere, no framing. A response that sets
 * its own (an email's sandboxed frame, a downloaded file) keeps them.
 */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  for (const [k, v] of SECURITY_HEADERS) if (!c.res.headers.has(k)) c.header(k, v);
};

/** The same headers on a response made outside the middleware chain (the app's not-found page). */
export function securityHeadersOn(res: Response): Response {
  for (const [k, v] of SECURITY_HEADERS) res.headers.set(k, v);
  return res;
}

/** The signed-in person of a request, if any (a page that is open to everyone but shows the header). */
export async function currentUser(deps: WebDeps, c: Context<WebEnv>) {
  const token = getCookie(c, SESSION_COOKIE);
  const session = token ? await findSession(deps.sql, token, deps.clock()) : undefined;
  const user = session ? webUser(deps.config, session.login) : undefined;
  return session && user ? { user, csrf: session.csrfToken } : undefined;
}

/**
 * A state-changing request must come from our own pages: the browser's Origin (or Sec-Fetch-Site) says
 * same-origin. This guards /login too, where there is no session token yet.
 */
export function sameOrigin(publicUrl: string): MiddlewareHandler {
  const trusted = new URL(publicUrl).origin;
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const site = c.req.header('sec-fetch-site');
    const origin = c.req.header('origin');
    const own = new URL(c.req.url).origin;
    const ok =
      (site === undefined || site === 'same-origin' || site === 'none') &&
      (origin === undefined || origin === own || origin === trusted);
    if (!ok) throw new HttpPageError(403, ru.errors.crossSite);
    return next();
  };
}

/** Loads the signed-in person; anonymous page requests go to /login (and come back after it). */
export function requireUser(deps: WebDeps): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await findSession(deps.sql, token, deps.clock()) : undefined;
    const user = session ? webUser(deps.config, session.login) : undefined;
    if (!token || !session || !user) {
      if (c.req.method === 'GET' && c.req.header('accept')?.includes('text/html') !== false) {
        const next = c.req.path + (new URL(c.req.url).search || '');
        return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
      }
      return c.text(ru.errors.signIn, 401);
    }
    c.set('user', user);
    c.set('csrf', session.csrfToken);
    c.set('sessionToken', token);
    return next();
  };
}

/** Unsafe requests of a signed-in person carry the session's CSRF token (form field or header). */
export const requireCsrf: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
  let given = c.req.header('x-csrf-token');
  if (!given) {
    const type = c.req.header('content-type') ?? '';
    if (type.includes('form')) {
      const body = await c.req.parseBody();
      given = typeof body._csrf === 'string' ? body._csrf : undefined;
    }
  }
  if (given !== c.get('csrf')) throw new HttpPageError(403, ru.errors.csrf);
  return next();
};
