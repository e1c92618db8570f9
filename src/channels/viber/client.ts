import type { Clock } from '../../core/clock.js';
import { parseJsonKeepingBigInts } from '../../core/safe-json.js';
import { httpFailure, providerFetch } from '../messenger/http.js';
import { ProviderError } from '../messenger/provider-error.js';
import type { ViberAccount } from './config.js';
import { viberAnswerSchema } from './schema.js';

// Viber's status 12: too many requests. Every other non-zero status is a refusal that will not change.
const RATE_LIMITED = 12;

/**
 * The Viber REST bot API for one bot: `POST ${apiRoot}/pa/<method>` with X-Viber-Auth-Token. An HTTP 200
 * with `status != 0` is a failure (the receiver unsubscribed, a bad token…), never a success.
 */
export function createViberApi(account: ViberAccount, deps: { clock: Clock; fetch?: typeof fetch }) {
  const root = account.apiRoot.replace(/\/$/, '');
  async function call(method: string, body: Record<string, unknown>) {
    const res = await providerFetch('Viber', `${root}/pa/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-auth-token': account.token },
      body: JSON.stringify(body),
      timeoutMs: account.timeoutMs,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    if (res.status !== 200) throw httpFailure('Viber', res, `${method} failed`, deps.clock());
    let json: unknown;
    try {
      json = parseJsonKeepingBigInts(res.text);
    } catch {
      json = undefined;
    }
    const answer = viberAnswerSchema.safeParse(json);
    if (!answer.success)
      throw new ProviderError('Viber', `${method}: unexpected answer`, { retryable: false });
    if (answer.data.status !== 0)
      throw new ProviderError(
        'Viber',
        `${method} refused: status ${answer.data.status} (${answer.data.status_message ?? 'no reason given'})`,
        { retryable: answer.data.status === RATE_LIMITED, providerCode: answer.data.status },
      );
    return answer.data;
  }

  return {
    async send(receiver: string, text: string) {
      const answer = await call('send_message', {
        receiver,
        min_api_version: 1,
        sender: {
          name: account.senderName,
          ...(account.senderAvatar ? { avatar: account.senderAvatar } : {}),
        },
        type: 'text',
        text,
      });
      if (!answer.message_token)
        throw new ProviderError('Viber', 'send_message: no message_token', { retryable: false });
      return { messageToken: answer.message_token };
    },
    setWebhook: (url: string) =>
      call('set_webhook', {
        url,
        event_types: ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'],
        send_name: true,
        send_photo: false,
      }),
  };
}

export type ViberApi = ReturnType<typeof createViberApi>;
