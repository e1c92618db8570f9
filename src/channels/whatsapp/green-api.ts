import { errorMessage, SwitchboardError } from '../../core/errors.js';
import { realSleep } from '../messenger/sleep.js';
import type { GatewayAccount } from './config.js';

/**
 * Green-API over plain HTTP (no SDK): `POST <apiRoot>/waInstance<id>/<method>/<token>`. The token is in the
 * path, so URLs are never logged or put into errors. 429 and 5xx are retried with a growing pause.
 */
export function createGreenApiClient(
  account: GatewayAccount,
  deps: { fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> } = {},
) {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? realSleep;
  const root = account.apiRoot.replace(/\/+$/, '');
  const url = (method: string) =>
    `${root}/waInstance${account.idInstance}/${method}/${encodeURIComponent(account.apiTokenInstance)}`;

  async function call<T>(method: string, body: unknown): Promise<T> {
    let last = '';
    for (let attempt = 1; attempt <= account.sendAttempts; attempt++) {
      if (attempt > 1) await sleep(account.retryDelayMs * 2 ** (attempt - 2));
      let res: Response;
      try {
        res = await doFetch(url(method), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(account.timeoutMs),
        });
      } catch (err) {
        last = `Green-API ${method} could not be reached: ${errorMessage(err)}`;
        continue;
      }
      const text = await res.text();
      if (res.ok) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new SwitchboardError(
            'upstream_failed',
            `Green-API ${method} answered something that is not JSON`,
          );
        }
      }
      last = `Green-API refused ${method}: HTTP ${res.status} ${text.slice(0, 200)}`.trim();
      if (res.status !== 429 && res.status < 500) throw new SwitchboardError('upstream_failed', last);
    }
    throw new SwitchboardError('upstream_failed', last, { retryable: true });
  }

  return {
    /** Sends a text; returns Green-API's `idMessage`. */
    async sendMessage(chatId: string, message: string): Promise<string> {
      const r = await call<{ idMessage?: string }>('sendMessage', { chatId, message });
      if (!r.idMessage)
        throw new SwitchboardError('upstream_failed', 'Green-API sendMessage returned no idMessage');
      return r.idMessage;
    },
    /** Sends a file by its URL; returns Green-API's `idMessage`. */
    async sendFileByUrl(
      chatId: string,
      urlFile: string,
      fileName: string,
      caption?: string,
    ): Promise<string> {
      const r = await call<{ idMessage?: string }>('sendFileByUrl', {
        chatId,
        urlFile,
        fileName,
        ...(caption ? { caption } : {}),
      });
      if (!r.idMessage)
        throw new SwitchboardError('upstream_failed', 'Green-API sendFileByUrl returned no idMessage');
      return r.idMessage;
    },
    /** Downloads a file Green-API links to (its download URLs are short-lived). */
    async download(downloadUrl: string): Promise<Uint8Array> {
      const res = await doFetch(downloadUrl, { signal: AbortSignal.timeout(account.timeoutMs) });
      if (!res.ok) throw new SwitchboardError('upstream_failed', `media download: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

export type GreenApiClient = ReturnType<typeof createGreenApiClient>;
