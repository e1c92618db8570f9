import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { type ErrorCode, SwitchboardError, ValidationError, type ValidationIssue } from '../core/errors.js';
import { unknownFieldIssues } from '../core/unknown-fields.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import type { Logger } from '../observability/logger.js';
import { routePattern } from './access-log.js';

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  config_invalid: 500,
  upstream_failed: 502,
  unavailable: 503,
  internal: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: ValidationIssue[]; details?: unknown };
}

export function errorBody(
  code: ErrorCode,
  message: string,
  extra: Partial<ErrorBody['error']> = {},
): ErrorBody {
  return { error: { code, message, ...extra } };
}

export function zodIssues(error: ZodError): ValidationIssue[] {
  return unknownFieldIssues(error.issues).map((i) => ({ field: i.path.join('.'), message: i.message }));
}

/** 400 naming every offending field: `{"error":{"code":"validation_failed","message":"from.phones.0: …","issues":[…]}}`. */
export function validationResponse(c: Context, error: ZodError) {
  const issues = zodIssues(error);
  const first = issues[0];
  const message = first ? `${first.field || '(body)'}: ${first.message}` : 'invalid request';
  return c.json(errorBody('validation_failed', message, { issues }), 400);
}

/** Seconds a client is asked to wait while the database is away (a restart takes a few). */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The single mapping from thrown errors to HTTP responses. Unknown errors are 500 without internals; the database
 * being away (restart, network) is 503 with Retry-After, so senders retry instead of giving up.
 */
export function createErrorHandler(log: Logger) {
  return (err: Error, c: Context) => {
    if (isDatabaseUnavailable(err)) {
      log.warn({ code: (err as { code?: string }).code, route: routePattern(c) }, 'database unavailable');
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return c.json(errorBody('unavailable', 'the database is unavailable; retry later'), 503);
    }
    if (err instanceof SwitchboardError) {
      const status = STATUS[err.code];
      if (status >= 500)
        log.error({ err: err.message, code: err.code, route: routePattern(c) }, 'request failed');
      const extra =
        err instanceof ValidationError
          ? { issues: err.issues }
          : err.details === undefined
            ? {}
            : { details: err.details };
      return c.json(errorBody(err.code, err.message, extra), status);
    }
    if (err instanceof HTTPException) {
      if (err.status === 413) return c.json(errorBody('payload_too_large', 'request body too large'), 413);
      if (err.status === 415)
        return c.json(errorBody('unsupported_media_type', 'Content-Type must be application/json'), 415);
      if (err.status === 401) return c.json(errorBody('unauthorized', err.message || 'unauthorized'), 401);
      if (err.status === 400)
        return c.json(errorBody('invalid_json', err.message || 'malformed request body'), 400);
      return c.json(errorBody('internal', err.message), err.status as ContentfulStatusCode);
    }
    log.error({ err: err.message, stack: err.stack, route: routePattern(c) }, 'unhandled error');
    return c.json(errorBody('internal', 'internal error'), 500);
  };
}
