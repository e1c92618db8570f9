import type { Clock } from '../../core/clock.js';
import { DeliveryError } from '../../core/delivery-error.js';
import { batchResultSchema, envelopeSchema } from './schema.js';

/** A Bitrix24 error: `b24code` is Bitrix24's `error` (often empty for CRM errors, reference §6). */
export class Bitrix24Error extends DeliveryError {
  readonly b24code: string;
  readonly status: number;
  constructor(
    message: string,
    opts: { b24code: string; status: number; retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, opts);
    this.b24code = opts.b24code;
    this.status = opts.status;
  }
}

export interface Bitrix24ClientOptions {
  /** https://<portal>/rest/<user>/<code>/ */
  webhookUrl: string;
  clock: Clock;
  /** Waits (rate limit, QUERY_LIMIT_EXCEEDED backoff); tests advance a manual clock instead of sleeping. */
  sleep: (ms: number) => Promise<void>;
  requestsPerSecond: number;
  burst: number;
  timeoutMs: number;
  /** How many times a QUERY_LIMIT_EXCEEDED is waited out before giving up. */
  maxLimitRetries?: number;
  fetch?: typeof fetch;
}

export interface CallResult {
  result: unknown;
  total?: number;
  next?: number;
}

/** `{a:{b:1}}` -> `a[b]=1`: the PHP bracket form batch commands are parsed with (reference §2). */
export function phpQuery(params: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v !== null && typeof v === 'object') parts.push(phpQuery(v as Record<string, unknown>, key));
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v ?? ''))}`);
  }
  return parts.filter(Boolean).join('&');
}

/**
 * The REST client of one portal: one serial stream through a token bucket (2 requests/s, burst 10), a
 * QUERY_LIMIT_EXCEEDED (the request was not run) waited out with backoff 1, 2, 4 … 30 s and sent again,
 * OPERATION_TIME_LIMIT surfaced as retryable after `operating_reset_at`. Nothing else is retried here:
 * a write that timed out is never sent blindly again (the caller looks it up by ORIGIN_ID).
 */
export function createBitrix24Client(opts: Bitrix24ClientOptions) {
  const doFetch = opts.fetch ?? fetch;
  let tokens = opts.burst;
  let refilledAt = opts.clock().getTime();
  let queue: Promise<unknown> = Promise.resolve();

  async function acquire() {
    const now = opts.clock().getTime();
    tokens = Math.min(opts.burst, tokens + ((now - refilledAt) * opts.requestsPerSecond) / 1000);
    refilledAt = now;
    if (tokens < 1) {
      await opts.sleep(((1 - tokens) * 1000) / opts.requestsPerSecond);
      tokens = 1;
      refilledAt = opts.clock().getTime();
    }
    tokens -= 1;
  }

  async function once(method: string, params: unknown): Promise<CallResult> {
    await acquire();
    let res: Response;
    try {
      res = await doFetch(`${opts.webhookUrl}${method}.json`, {
        method: 'POST', // a GET with a JSON body loses its params (reference §8)
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params ?? {}),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string } };
      const what = e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? 'network error');
      throw new Bitrix24Error(`bitrix24 ${method}: ${what}`, {
        b24code: '',
        status: 0,
        retryable: true,
        cause: err,
      });
    }
    const text = await res.text();
    let parsed: ReturnType<typeof envelopeSchema.safeParse>;
    try {
      parsed = envelopeSchema.safeParse(JSON.parse(text));
    } catch {
      // Under load the server may answer with an HTML page (reference §8).
      throw new Bitrix24Error(`bitrix24 ${method}: HTTP ${res.status}, not JSON`, {
        b24code: '',
        status: res.status,
        retryable: res.status >= 500,
      });
    }
    if (!parsed.success)
      throw new Bitrix24Error(`bitrix24 ${method}: unexpected reply`, {
        b24code: '',
        status: res.status,
        retryable: false,
      });
    const body = parsed.data;
    if ('error' in body || !res.ok) {
      const b24code = 'error' in body ? body.error : '';
      const description = 'error' in body ? (body.error_description ?? '') : '';
      const resetAt = Number((body as { time?: { operating_reset_at?: number } }).time?.operating_reset_at);
      throw new Bitrix24Error(`bitrix24 ${method}: HTTP ${res.status} ${b24code} ${description}`.trim(), {
        b24code,
        status: res.status,
        retryable: res.status === 429 || res.status >= 500,
        ...(res.status === 429 && Number.isFinite(resetAt)
          ? { retryAfterMs: Math.max(1000, resetAt * 1000 - opts.clock().getTime()) }
          : {}),
      });
    }
    return body;
  }

  async function call(method: string, params: unknown = {}): Promise<CallResult> {
    const run = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(method, params);
        } catch (err) {
          const limited = err instanceof Bitrix24Error && err.b24code === 'QUERY_LIMIT_EXCEEDED';
          if (!limited || attempt >= (opts.maxLimitRetries ?? 8)) throw err;
          const backoff = Math.min(30_000, 1000 * 2 ** attempt);
          await opts.sleep(backoff * (0.8 + Math.random() * 0.4));
        }
      }
    };
    // One serial stream per portal.
    const p = queue.then(run, run);
    queue = p.catch(() => {});
    return p;
  }

  /**
   * Every row matching `filter`, by ID keyset pages without COUNT (`start=-1`, `>ID`, order by ID: reference
   * §2 "Bulk pulls"). The pages after the first come 50 to a `batch` (one request, §2): page k's
   * `>ID` is `$result[p(k-1)][49][ID]`, the last ID of the page before it. The first page goes alone, so an
   * incremental pull that finds a few rows costs one plain call. Pages after the first short one are
   * ignored (their reference did not resolve). `onPage` gets the rows of `pagesPerCall` consecutive pages of
   * one batch (default 1) and their last ID, in order.
   */
  async function listAll(
    method: string,
    params: { filter?: Record<string, unknown>; select: string[]; afterId?: number; pagesPerCall?: number },
    onPage: (rows: unknown[], lastId: number) => Promise<void>,
  ): Promise<void> {
    const group = params.pagesPerCall ?? 1;
    const page = (after: number | string) => ({
      filter: { ...params.filter, '>ID': after },
      order: { ID: 'ASC' },
      select: params.select,
      start: -1,
    });
    const lastOf = (rows: unknown[]) => Number((rows.at(-1) as { ID: string }).ID);
    let lastId = params.afterId ?? 0;
    const { result } = await call(method, page(lastId));
    const first = Array.isArray(result) ? result : [];
    if (first.length > 0) {
      lastId = lastOf(first);
      await onPage(first, lastId);
    }
    if (first.length < 50) return;
    for (;;) {
      const cmd: Record<string, [string, Record<string, unknown>]> = {};
      for (let k = 0; k < 50; k++)
        cmd[`p${k}`] = [method, page(k === 0 ? lastId : `$result[p${k - 1}][49][ID]`)];
      const { result: pages, errors } = await batch(cmd);
      let held: unknown[] = [];
      const flush = async () => {
        if (held.length === 0) return;
        lastId = lastOf(held);
        const rows = held;
        held = [];
        await onPage(rows, lastId);
      };
      for (let k = 0; k < 50; k++) {
        const error = errors[`p${k}`];
        if (error)
          throw new Bitrix24Error(
            `bitrix24 batch ${method}: ${error.error} ${error.error_description ?? ''}`.trim(),
            {
              b24code: error.error,
              status: 200,
              retryable: error.error === 'QUERY_LIMIT_EXCEEDED' || error.error === 'OPERATION_TIME_LIMIT',
            },
          );
        const rows = pages[`p${k}`];
        const list = Array.isArray(rows) ? rows : [];
        held.push(...list);
        if (list.length < 50) return flush();
        if ((k + 1) % group === 0) await flush();
      }
      await flush();
    }
  }

  /** Up to 50 commands in one request (prefixed keys: "0".."49" would turn the maps into lists, §8). */
  async function batch(cmd: Record<string, [string, Record<string, unknown>]>) {
    const entries = Object.entries(cmd);
    if (entries.length > 50) throw new Error('a batch holds at most 50 commands');
    const { result } = await call('batch', {
      halt: 0,
      cmd: Object.fromEntries(entries.map(([k, [m, p]]) => [k, `${m}?${phpQuery(p)}`])),
    });
    const parsed = batchResultSchema.parse(result);
    return { result: parsed.result, errors: parsed.result_error };
  }

  return { call, listAll, batch };
}

export type Bitrix24Client = ReturnType<typeof createBitrix24Client>;
