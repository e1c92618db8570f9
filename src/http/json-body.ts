import type { MiddlewareHandler } from 'hono';
import { parseStorableJson } from '../core/safe-json.js';
import { errorBody } from './errors.js';

/**
 * JSON bodies of the API, made safe before any validator sees them: nesting deeper than 64 levels is refused
 * with 400 (it would exhaust the stack of a recursive parser or serializer), and NUL / lone surrogates, which
 * PostgreSQL refuses in text and json, are stripped from the parsed value. Routes that keep the raw bytes
 * (`except`) read the body themselves.
 */
export function storableJsonBody(except: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    if (!['POST', 'PUT', 'PATCH'].includes(c.req.method) || except.includes(c.req.path)) return next();
    if (!/json/i.test(c.req.header('content-type') ?? '')) return next();
    const parsed = parseStorableJson(new Uint8Array(await c.req.arrayBuffer()));
    if (!parsed.ok) return c.json(errorBody('invalid_json', parsed.reason), 400);
    // Hono's validators read c.req.json(), which parses the cached text: it now holds the cleaned value.
    (c.req as unknown as { bodyCache: { text?: Promise<string> } }).bodyCache.text = Promise.resolve(
      JSON.stringify(parsed.value),
    );
    return next();
  };
}
