import { SwitchboardError } from '../../core/errors.js';

/**
 * A provider API refused a call or could not be reached. Maps to 502 with the provider's reason (`message`);
 * `retryable` says whether the same call may succeed later (rate limits, 5xx, network), so the retry helper
 * switches on it, never on message text.
 */
export class ProviderError extends SwitchboardError {
  readonly retryAfterMs: number | undefined;
  /** The provider's own code of the refusal (Viber `status`, VK `error_code`), when it gave one. */
  readonly providerCode: number | string | undefined;
  constructor(
    provider: string,
    reason: string,
    opts: {
      retryable: boolean;
      status?: number;
      providerCode?: number | string;
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super('upstream_failed', `${provider}: ${reason}`.slice(0, 500), {
      retryable: opts.retryable,
      details: {
        provider,
        ...(opts.status !== undefined ? { status: opts.status } : {}),
        ...(opts.providerCode !== undefined ? { providerCode: opts.providerCode } : {}),
      },
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    });
    this.retryAfterMs = opts.retryAfterMs;
    this.providerCode = opts.providerCode;
  }
}

/** A `Retry-After` header (seconds or an HTTP date) as milliseconds from `now`. */
export function retryAfterMs(header: string | null | undefined, now: Date): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
