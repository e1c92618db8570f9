import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { API, APIError, APIRequest } from 'vk-io';
import type { z } from 'zod';
import { errorMessage } from '../../core/errors.js';
import { ProviderError } from '../messenger/provider-error.js';
import type { VkAccount } from './config.js';
import {
  type VkUser,
  vkConfirmationCodeSchema,
  vkLongPollServerSchema,
  vkSendResultSchema,
  vkUsersGetSchema,
} from './schema.js';

// VK API error codes worth retrying: unknown error, too many requests, flood control, internal error.
const RETRYABLE_CODES = new Set([1, 6, 9, 10]);

/**
 * The VK API for one community, through vk-io's request (URL, token, version, form body, error objects)
 * without its queue: vk-io's worker retries "too many requests" forever on its own timer, so retries are
 * ours (withRetry, backoff on the injected sleep). Every call goes to `${apiRoot}/method/<name>`.
 */
export function createVkApi(account: VkAccount) {
  const api = new API({
    token: account.token,
    apiBaseUrl: `${account.apiRoot.replace(/\/$/, '')}/method`,
    apiVersion: account.apiVersion,
    apiTimeout: account.timeoutMs,
    apiRetryLimit: 0,
    // vk-io's fetch takes an https agent by default; a plain-http apiRoot (a loopback fake) needs an http one.
    agent: (account.apiRoot.startsWith('http:')
      ? new HttpAgent({ keepAlive: true })
      : new HttpsAgent({ keepAlive: true })) as HttpsAgent,
  });

  async function call<S extends z.ZodType>(method: string, params: Record<string, unknown>, schema: S) {
    let answer: { response?: unknown; error?: unknown };
    try {
      answer = (await new APIRequest({ api, method, params }).make()) as typeof answer;
    } catch (err) {
      // Network failure, timeout, or a non-JSON answer (a proxy's 502 page).
      throw new ProviderError('VK', `${method}: no valid answer (${errorMessage(err)})`, {
        retryable: true,
        cause: err,
      });
    }
    if (answer.error !== undefined) {
      const e = new APIError(answer.error as ConstructorParameters<typeof APIError>[0]);
      const code = Number(e.code);
      throw new ProviderError('VK', `${method} refused: [${code}] ${errorReason(answer.error)}`, {
        retryable: RETRYABLE_CODES.has(code),
        providerCode: code,
      });
    }
    const parsed = schema.safeParse(answer.response);
    if (!parsed.success) throw new ProviderError('VK', `${method}: unexpected answer`, { retryable: false });
    return parsed.data as z.infer<S>;
  }

  return {
    async usersGet(userId: number): Promise<VkUser | undefined> {
      const users = await call(
        'users.get',
        { user_ids: String(userId), fields: 'city,contacts,domain' },
        vkUsersGetSchema,
      );
      return users[0];
    },
    /**
     * messages.send with `peer_ids` (the answer then carries conversation_message_id, the key the echo of
     * this message will have). `randomId` makes a retried send a no-op on VK's side.
     */
    async send(peerId: number, text: string, randomId: number) {
      const [sent] = await call(
        'messages.send',
        { peer_ids: String(peerId), random_id: randomId, message: text },
        vkSendResultSchema,
      );
      if (!sent || sent.error !== undefined || sent.conversation_message_id === undefined)
        throw new ProviderError('VK', `messages.send refused: ${errorReason(sent?.error)}`, {
          retryable: false,
        });
      return {
        peerId: sent.peer_id,
        conversationMessageId: sent.conversation_message_id,
        messageId: sent.message_id,
      };
    },
    confirmationCode: () =>
      call('groups.getCallbackConfirmationCode', { group_id: account.groupId }, vkConfirmationCodeSchema),
    longPollServer: () =>
      call('groups.getLongPollServer', { group_id: account.groupId }, vkLongPollServerSchema),
  };
}

export type VkApi = ReturnType<typeof createVkApi>;

function errorReason(error: unknown): string {
  const e = (error ?? {}) as { error_msg?: unknown; description?: unknown; code?: unknown };
  return String(e.error_msg ?? e.description ?? e.code ?? 'no reason given').slice(0, 300);
}
