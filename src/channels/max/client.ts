import { parseJsonKeepingBigInts, storableJson } from '../../core/safe-json.js';
import type { Sleep } from '../messenger/sleep.js';
import type { MaxAccount } from './config.js';
import { errorSchema, type MaxMessage, messageSchema, updatesResponseSchema } from './schema.js';

/** Every update kind Switchboard reads (subscriptions and polling). */
export const UPDATE_TYPES = [
  'message_created',
  'message_edited',
  'message_removed',
  'message_callback',
  'bot_started',
  'bot_stopped',
] as const;

/** A non-2xx answer of the MAX Bot API: the HTTP status and MAX's `code` (`chat.denied`, `attachment.not.ready`). */
export class MaxApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    readonly description: string,
  ) {
    super(`MAX API ${status}${code ? ` ${code}` : ''}: ${description}`);
    this.name = 'MaxApiError';
  }
}

export type MaxTarget = { chatId: string } | { userId: string };

export interface NewMaxMessage {
  text?: string;
  attachments?: unknown[];
  link?: { type: 'reply'; mid: string };
  notify?: boolean;
}

/**
 * A thin typed client of the MAX Bot API at the account's apiRoot: `Authorization: <token>` (no Bearer),
 * answers parsed without losing 64-bit integers. Only what Switchboard calls; not the official SDK, whose
 * polling start deletes webhook subscriptions and whose default error handler exits the process.
 */
export function createMaxClient(account: MaxAccount, deps: { fetch?: typeof fetch; sleep: Sleep }) {
  const doFetch = deps.fetch ?? fetch;
  const root = account.apiRoot.replace(/\/+$/, '');

  async function call<T = unknown>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: {
      query?: Record<string, string | number | undefined>;
      body?: unknown;
      signal?: AbortSignal;
      timeoutMs?: number;
    } = {},
  ): Promise<T> {
    const url = new URL(root + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? account.timeoutSeconds * 1000);
    const res = await doFetch(url, {
      method,
      headers: {
        authorization: account.token,
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? parseJsonKeepingBigInts(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = errorSchema.safeParse(json);
      throw new MaxApiError(
        res.status,
        e.data?.code,
        e.data?.message ?? (text.slice(0, 200) || res.statusText),
      );
    }
    return json as T;
  }

  return {
    me: () => call<Record<string, unknown>>('GET', '/me'),
    subscriptions: () => call('GET', '/subscriptions'),
    subscribe: (url: string, secret: string | undefined) =>
      call('POST', '/subscriptions', {
        body: { url, ...(secret ? { secret } : {}), update_types: [...UPDATE_TYPES] },
      }),
    unsubscribe: (url: string) => call('DELETE', '/subscriptions', { query: { url } }),
    /** One long poll; passing `marker` commits every update before it. */
    async getUpdates(marker: string | undefined, signal: AbortSignal) {
      const p = account.polling;
      const answer = await call('GET', '/updates', {
        query: { limit: p.limit, timeout: p.timeoutSeconds, marker, types: UPDATE_TYPES.join(',') },
        signal,
        timeoutMs: (p.timeoutSeconds + 10) * 1000,
      });
      const parsed = updatesResponseSchema.parse(answer);
      // Cleaned for storage (NUL, lone surrogates) so one odd text never blocks the poller.
      return { updates: parsed.updates.map(storableJson), marker: parsed.marker ?? marker };
    },
    /**
     * POST /messages. An attachment just uploaded may not be processed yet (400 `attachment.not.ready`):
     * the documented remedy is to try again, here 3 more times after 1, 2, 4 s.
     */
    async sendMessage(target: MaxTarget, message: NewMaxMessage): Promise<MaxMessage> {
      const query = 'chatId' in target ? { chat_id: target.chatId } : { user_id: target.userId };
      for (let attempt = 0; ; attempt++) {
        try {
          const answer = await call<{ message: unknown }>('POST', '/messages', { query, body: message });
          return messageSchema.parse(answer.message);
        } catch (err) {
          const notReady = err instanceof MaxApiError && err.code === 'attachment.not.ready';
          if (!notReady || attempt >= 3) throw err;
          await deps.sleep(1000 * 2 ** attempt);
        }
      }
    },
    answerCallback: (callbackId: string, notification: string) =>
      call('POST', '/answers', { query: { callback_id: callbackId }, body: { notification } }),
    /** Uploads a file (POST /uploads?type=file, then multipart `data` to the URL it gives): its token. */
    async uploadFile(bytes: Uint8Array, name: string): Promise<string> {
      const slot = await call<{ url: string; token?: string }>('POST', '/uploads', {
        query: { type: 'file' },
      });
      const form = new FormData();
      form.set('data', new Blob([bytes]), name);
      const res = await doFetch(slot.url, {
        // The upload host is another server: the bot token is not sent there.
        method: 'POST',
        body: form,
        signal: AbortSignal.timeout(account.timeoutSeconds * 1000),
      });
      const text = await res.text();
      if (!res.ok) throw new MaxApiError(res.status, undefined, `upload failed: ${text.slice(0, 200)}`);
      const token = slot.token ?? (parseJsonKeepingBigInts(text) as { token?: string }).token;
      if (!token) throw new MaxApiError(res.status, undefined, 'upload answered without a token');
      return token;
    },
  };
}

export type MaxClient = ReturnType<typeof createMaxClient>;
