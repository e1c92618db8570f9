/**
 * Is this error "the database is away" (restarting, unreachable, shutting down) rather than a problem with the
 * request or the data? Such errors are answered 503 with Retry-After and never count as a failed attempt of an
 * event: the same work succeeds once the database is back.
 */
const UNAVAILABLE_CODES = new Set([
  // postgres.js connection errors
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  // sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  // A batch of queries that did not settle in time (BatchTimeoutError, src/ingest/batcher.ts): a stalled
  // connection, e.g. a query that never returns after a restart; the same work succeeds on a healthy one.
  'BATCH_TIMEOUT',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now (starting up / shutting down)
  '57P01',
  '57P02',
  '57P03',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    // 08xxx: connection_exception and its subclasses
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    const nested = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(nested) && nested.some((n) => isDatabaseUnavailable(n))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
