import type { Clock } from '../../core/clock.js';
import { DeliveryError, networkError, retryableStatus } from '../../core/delivery-error.js';

export interface AmocrmClientOptions {
  baseUrl: string;
  token: string;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  requestsPerSecond: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * amoCRM API v4 (reference §9): `Authorization: Bearer <long-lived token>`, `application/hal+json` answers
 * (a list under `_embedded`), `application/problem+json` errors. One serial stream, spaced to stay under the
 * 7 requests/s that gets an IP blocked. A 204 is an empty list.
 */
export function createAmocrmClient(opts: AmocrmClientOptions) {
  const doFetch = opts.fetch ?? fetch;
  let queue: Promise<unknown> = Promise.resolve();
  let lastAt = 0;

  async function once(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const wait = lastAt + 1000 / opts.requestsPerSecond - opts.clock().getTime();
    if (wait > 0) await opts.sleep(wait);
    lastAt = opts.clock().getTime();
    let res: Response;
    try {
      res = await doFetch(`${opts.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${opts.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      throw networkError(`amocrm ${method} ${path.split('?')[0]}`, err);
    }
    if (res.status === 204) return undefined;
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const title = (parsed as { title?: string; detail?: string } | undefined)?.title ?? '';
      throw new DeliveryError(`amocrm ${method} ${path.split('?')[0]}: HTTP ${res.status} ${title}`.trim(), {
        retryable: retryableStatus(res.status),
      });
    }
    return parsed;
  }

  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const p = queue.then(run, run);
    queue = p.catch(() => {});
    return p;
  };

  return {
    get: (path: string) => serial(() => once('GET', path)),
    post: (path: string, body: unknown) => serial(() => once('POST', path, body)),
    /** Every item of a list (`_embedded[key]`), `limit` 250 a page, until a short or empty page. */
    async list(path: string, key: string, onPage: (items: unknown[]) => Promise<void>) {
      for (let page = 1; ; page++) {
        const sep = path.includes('?') ? '&' : '?';
        const body = (await serial(() => once('GET', `${path}${sep}page=${page}&limit=250`))) as
          | { _embedded?: Record<string, unknown[]> }
          | undefined;
        const items = body?._embedded?.[key] ?? [];
        if (items.length > 0) await onPage(items);
        if (items.length < 250) return;
      }
    },
  };
}

export type AmocrmClient = ReturnType<typeof createAmocrmClient>;
