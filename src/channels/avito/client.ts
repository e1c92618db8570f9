import type { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { httpFailure, type ProviderResponse, providerFetch } from '../messenger/http.js';
import { ProviderError } from '../messenger/provider-error.js';
import type { AvitoAccount } from './config.js';
import {
  avitoChatSchema,
  avitoErrorSchema,
  avitoItemsSchema,
  avitoMessagesSchema,
  avitoSentSchema,
  avitoTokenSchema,
  avitoVoiceFilesSchema,
} from './schema.js';

/**
 * The Avito API for one profile. The token comes from client_credentials (24 h, no refresh token): it is
 * renewed `tokenRefreshMarginMs` before it expires and once more when a call answers 401 (revoked, clock
 * skew). Rate limits (429) and 5xx throw retryable errors; the caller's withRetry decides about retrying.
 */
export function createAvitoApi(account: AvitoAccount, deps: { clock: Clock; fetch?: typeof fetch }) {
  const root = account.apiRoot.replace(/\/$/, '');
  const http = (path: string, init: RequestInit) =>
    providerFetch('Avito', `${root}${path}`, {
      ...init,
      timeoutMs: account.timeoutMs,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const res = await http('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: account.clientId,
        client_secret: account.clientSecret,
      }).toString(),
    });
    const parsed = avitoTokenSchema.safeParse(res.json);
    if (res.status !== 200 || !parsed.success) throw failure(res, 'cannot get a token');
    token = {
      value: parsed.data.access_token,
      expiresAt: deps.clock().getTime() + parsed.data.expires_in * 1000,
    };
    return token.value;
  }

  function currentToken(): Promise<string> {
    if (token && token.expiresAt - account.tokenRefreshMarginMs > deps.clock().getTime())
      return Promise.resolve(token.value);
    // One token request at a time, however many calls need it.
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: S,
    what: string,
  ) {
    for (let attempt = 1; ; attempt++) {
      const bearer = await currentToken();
      const res = await http(path, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      if (res.status === 401 && attempt === 1) {
        token = undefined;
        continue;
      }
      const parsed = schema.safeParse(res.json);
      if (res.status >= 200 && res.status < 300 && parsed.success) return parsed.data as z.infer<S>;
      throw failure(res, what);
    }
  }

  function failure(res: ProviderResponse, what: string): ProviderError {
    const e = avitoErrorSchema.safeParse(res.json);
    const reason = `${what}: ${e.success ? (e.data.error.message ?? e.data.error.code) : res.text.slice(0, 200) || 'no reason given'}`;
    if (res.status >= 200 && res.status < 300)
      return new ProviderError('Avito', `${what}: unexpected answer`, {
        retryable: false,
        status: res.status,
      });
    return httpFailure('Avito', res, reason, deps.clock());
  }

  const base = `/messenger/v1/accounts/${account.userId}`;
  return {
    chat: (chatId: string) =>
      call(
        'GET',
        `/messenger/v2/accounts/${account.userId}/chats/${encodeURIComponent(chatId)}`,
        undefined,
        avitoChatSchema,
        'chat info',
      ),
    items: () =>
      call(
        'GET',
        '/core/v1/items?per_page=100&page=1&status=active',
        undefined,
        avitoItemsSchema,
        'listings',
      ),
    send: (chatId: string, text: string) =>
      call(
        'POST',
        `${base}/chats/${encodeURIComponent(chatId)}/messages`,
        { message: { text }, type: 'text' },
        avitoSentSchema,
        'message refused',
      ),
    /** The newest messages of a chat (to find a send whose answer was lost). */
    messages: (chatId: string, limit = 20) =>
      call(
        'GET',
        `/messenger/v3/accounts/${account.userId}/chats/${encodeURIComponent(chatId)}/messages/?limit=${limit}&offset=0`,
        undefined,
        avitoMessagesSchema,
        'messages',
      ),
    /** A voice message's link (valid one hour), or undefined when Avito has none for the id. */
    async voiceUrl(voiceId: string): Promise<string | undefined> {
      const answer = await call(
        'GET',
        `${base}/getVoiceFiles?voice_ids=${encodeURIComponent(voiceId)}`,
        undefined,
        avitoVoiceFilesSchema,
        'voice files',
      );
      return answer.voices_urls[voiceId];
    },
    subscribe: (url: string) =>
      call(
        'POST',
        '/messenger/v3/webhook',
        { url },
        avitoErrorSchema.partial().loose(),
        'subscription refused',
      ),
  };
}

export type AvitoApi = ReturnType<typeof createAvitoApi>;
