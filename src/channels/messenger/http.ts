import { errorMessage } from '../../core/errors.js';
import { ProviderError, retryAfterMs } from './provider-error.js';

export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  text: string;
}

/**
 * One HTTP call to a provider API with a timeout. Network failures and timeouts throw a retryable
 * ProviderError; any HTTP answer is returned for the caller to read in the provider's own terms.
 */
export async function providerFetch(
  provider: string,
  url: string,
  init: RequestInit & { fetch?: typeof fetch; timeoutMs: number },
): Promise<ProviderResponse> {
  const { fetch: doFetch = fetch, timeoutMs, signal, ...request } = init;
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await doFetch(url, { ...request, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (err) {
    throw new ProviderError(provider, `cannot reach the API: ${errorMessage(err)}`, {
      retryable: true,
      cause: err,
    });
  }
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** 429 and 5xx are worth retrying (Retry-After honoured); other 4xx are not. */
export function httpFailure(
  provider: string,
  res: ProviderResponse,
  reason: string,
  now: Date,
): ProviderError {
  const retryable = res.status === 429 || res.status >= 500;
  const after = retryAfterMs(res.headers.get('retry-after'), now);
  return new ProviderError(provider, `HTTP ${res.status}: ${reason}`, {
    retryable,
    status: res.status,
    ...(after !== undefined ? { retryAfterMs: after } : {}),
  });
}
