import { hmacHex, hmacHexEquals } from '../../channels/webhook/verify.js';
import { DeliveryError, networkError, retryableStatus } from '../../core/delivery-error.js';

export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';
export const EVENT_HEADER = 'x-switchboard-event';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * `sha256=<hex HMAC-SHA256>` of the exact body bytes, or of `<timestamp>.<body>` when a timestamp (Unix
 * seconds, sent in `X-Switchboard-Timestamp`) is given: binding the time lets a receiver refuse replays.
 */
export function signBody(secret: string, body: string, timestamp?: number): string {
  return `sha256=${hmacHex('sha256', secret, timestamp === undefined ? body : `${timestamp}.${body}`)}`;
}

/** The receiver's check (constant time), as documented in docs/crm.md. */
export function verifySignedBody(
  secret: string,
  body: string,
  signature: string | undefined,
  timestamp?: number,
): boolean {
  return hmacHexEquals(
    'sha256',
    secret,
    timestamp === undefined ? body : `${timestamp}.${body}`,
    signature?.replace(/^sha256=/i, ''),
  );
}

export interface SignedPost {
  url: string;
  secret: string;
  /** The JSON text exactly as sent and signed. */
  body: string;
  /** The same on every retry of one delivery: the receiver drops repeats by it. */
  idempotencyKey: string;
  /** Unix seconds; absent: the body alone is signed (the SLA alert webhook's original scheme). */
  timestamp?: number;
  headers?: Record<string, string>;
  userAgent: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Names the sender in errors ("webhook", "outbox crm-1"). */
  label: string;
}

/**
 * POSTs a signed JSON body. A 2xx is success; anything else throws `DeliveryError`, retryable for network
 * failures, 408/425/429 and 5xx (with the receiver's Retry-After when it gives one).
 */
export async function postSigned(p: SignedPost): Promise<void> {
  let res: Response;
  try {
    res = await (p.fetch ?? fetch)(p.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...p.headers,
        [SIGNATURE_HEADER]: signBody(p.secret, p.body, p.timestamp),
        ...(p.timestamp === undefined ? {} : { [TIMESTAMP_HEADER]: String(p.timestamp) }),
        [IDEMPOTENCY_HEADER]: p.idempotencyKey,
        'user-agent': p.userAgent,
      },
      body: p.body,
      signal: AbortSignal.timeout(p.timeoutMs),
    });
  } catch (err) {
    throw networkError(p.label, err);
  }
  await res.body?.cancel().catch(() => {});
  if (res.ok) return;
  const retryAfter = Number(res.headers.get('retry-after'));
  throw new DeliveryError(`${p.label}: HTTP ${res.status}`, {
    retryable: retryableStatus(res.status),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  });
}
