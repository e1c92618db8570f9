import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from '../observability/logger.js';
import { withRequestContext } from '../observability/request-context.js';

/** An id a caller or a proxy sent is kept (so logs can be joined across systems) when it is short and plain. */
const CALLER_ID = /^[\w.:-]{1,128}$/;
/** Probes polled every few seconds: logged at debug when they succeed, so they do not drown the access log. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One access log line per request: method, route pattern (never the concrete path or query, which can carry an
 * identity), status, duration, request id. The id is echoed in `X-Request-Id` and carried into every log line the
 * request causes (the processor's included) through the request context.
 */
/** The pattern of the route that handled the request (`/api/v1/leads/:id`), never the concrete path. */
export function routePattern(c: Context): string | null {
  return matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? null;
}

export function accessLog(log: Logger): MiddlewareHandler {
  return (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && CALLER_ID.test(given) ? given : randomUUID();
    const started = performance.now();
    // Set before the response exists, so that c.json() & co. build it with the header: one added to a finished
    // response makes Hono copy it into a new one, which node-server then has to send through a web stream.
    c.header('X-Request-Id', requestId);
    return withRequestContext({ requestId }, async () => {
      try {
        await next();
      } finally {
        // A Response a handler made itself does not carry the prepared headers.
        if (c.res.headers.get('X-Request-Id') !== requestId) c.header('X-Request-Id', requestId);
        const route = routePattern(c);
        const line = {
          method: c.req.method,
          route,
          status: c.res.status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
        };
        if (route !== null && PROBES.has(route) && c.res.status < 400) log.debug(line, 'http request');
        else log.info(line, 'http request');
      }
    });
  };
}
