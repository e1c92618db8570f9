/**
 * The few error classes Switchboard throws. Each carries a stable `code`; HTTP mapping lives in one place
 * (src/http/errors.ts) and retry logic switches on `retryable`, never on message text.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'invalid_json'
  | 'unauthorized'
  /** Signed in, but the person's role does not allow it (a manager asking for the analytics). */
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'config_invalid'
  | 'upstream_failed'
  /** A dependency (the database) is away for a moment: retry after the Retry-After delay. */
  | 'unavailable'
  | 'internal';

export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details?: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }
}

/** Input failed validation. `issues` name the offending fields by path. */
export class ValidationError extends SwitchboardError {
  readonly issues: ValidationIssue[];
  constructor(message: string, issues: ValidationIssue[] = []) {
    super('validation_failed', message, { details: issues });
    this.issues = issues;
  }
}

export interface ValidationIssue {
  /** Dotted path of the field, e.g. `from.phones.0`. Empty for the whole body. */
  field: string;
  message: string;
}

export class NotFoundError extends SwitchboardError {
  constructor(what: string) {
    super('not_found', `${what} not found`);
  }
}

export class ForbiddenError extends SwitchboardError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

export class ConflictError extends SwitchboardError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** The request is well-formed but refers to something that does not exist or cannot apply. */
export class UnprocessableError extends SwitchboardError {
  constructor(message: string, details?: unknown) {
    super('unprocessable', message, { details });
  }
}

export class ConfigError extends SwitchboardError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
