import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorBody } from './errors.js';

/**
 * Hono's bodyLimit, judged from the headers when they suffice. bodyLimit first reads `c.req.raw.body` to learn
 * whether there is a body, and on @hono/node-server that getter builds a full undici Request (a web stream over
 * the socket, an AbortSignal) for every request, GET included, through which the handler then reads its body.
 * Here GET and HEAD (which node-server gives no body) pass, a declared Content-Length without Transfer-Encoding
 * is compared as bodyLimit compares it, and anything else (a chunked body) goes to bodyLimit, which counts bytes.
 */
export function limitBody(maxSize: number): MiddlewareHandler {
  const tooLarge = (c: Context) => c.json(errorBody('payload_too_large', `body over ${maxSize} bytes`), 413);
  const counting = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return counting(c, next);
    return Number.parseInt(length || '0', 10) > maxSize ? Promise.resolve(tooLarge(c)) : next();
  };
}
