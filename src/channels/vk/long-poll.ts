import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import { providerFetch } from '../messenger/http.js';
import { ProviderError } from '../messenger/provider-error.js';
import { realSleep } from '../messenger/sleep.js';
import type { ChannelState } from '../messenger/state.js';
import type { VkApi } from './client.js';
import type { VkAccount } from './config.js';
import { vkLongPollAnswerSchema } from './schema.js';

const WAIT_SECONDS = 25;

/**
 * Bots Long Poll for one community (no public URL needed). Our own loop rather than vk-io's
 * PollingTransport, which moves `ts` before its handlers finish and resets it on `failed: 2`: here each
 * update is stored (`handle` resolves after the commit) before `ts` moves past it, so a crash re-reads
 * what was not stored. `failed` 1: take the new ts; 2: the key expired, get a new one and keep ts;
 * 3: history lost, get a new key and ts (logged). Errors back off exponentially and never stop the loop.
 */
export function createVkLongPoll(deps: {
  account: VkAccount;
  api: VkApi;
  state: ChannelState;
  log: Logger;
  handle: (update: unknown) => Promise<unknown>;
  fetch?: typeof fetch;
}) {
  const { account } = deps;
  let running = false;
  let loop: Promise<void> | undefined;
  let abort = new AbortController();
  let server: { key: string; server: string; ts: string } | undefined;

  async function poll(): Promise<void> {
    if (!server) {
      const fresh = await deps.api.longPollServer();
      server = fresh;
      deps.state.ok(account.account);
    }
    const url = new URL(server.server);
    url.search = new URLSearchParams({
      act: 'a_check',
      key: server.key,
      ts: server.ts,
      wait: String(WAIT_SECONDS),
    }).toString();
    const res = await providerFetch('VK Long Poll', url.toString(), {
      method: 'GET',
      timeoutMs: (WAIT_SECONDS + 10) * 1000,
      signal: abort.signal,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    const answer = vkLongPollAnswerSchema.safeParse(res.json);
    if (res.status !== 200 || !answer.success)
      throw new ProviderError('VK Long Poll', `HTTP ${res.status}: unexpected answer`, { retryable: true });
    const a = answer.data;
    deps.state.ok(account.account);
    if ('failed' in a) {
      if (a.failed === 1 && a.ts !== undefined) server.ts = a.ts;
      else if (a.failed === 2) {
        const fresh = await deps.api.longPollServer();
        server = { ...fresh, ts: server.ts };
      } else {
        deps.log.warn(
          { channel: 'vk', account: account.account, failed: a.failed },
          'long poll history lost: restarting from now',
        );
        server = undefined;
      }
      return;
    }
    for (const update of a.updates) await deps.handle(update);
    server.ts = a.ts;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (running) {
      try {
        await poll();
        failures = 0;
      } catch (err) {
        if (!running) break;
        failures++;
        deps.state.failed(account.account, err);
        const delay = Math.min(
          account.retry.maxDelayMs,
          account.retry.baseDelayMs * 2 ** Math.min(failures - 1, 16),
        );
        deps.log.warn(
          { channel: 'vk', account: account.account, err: errorMessage(err), delayMs: delay },
          'long poll failed',
        );
        await realSleep(delay, abort.signal);
      }
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      abort = new AbortController();
      loop = run();
    },
    async stop(): Promise<void> {
      running = false;
      abort.abort();
      await loop;
    },
  };
}
