import { refuse, unknownAccount, webhookRoute } from '../webhook/route.js';
import { hmacHexEquals } from '../webhook/verify.js';
import type { ViberAccount } from './config.js';

/**
 * `POST /webhooks/viber/<account>`. X-Viber-Content-Signature is the HMAC-SHA256 of the raw body with the
 * bot token (the official middleware also accepts `?sig=`), compared in constant time: wrong or missing,
 * 403 and nothing stored. The callback is then stored and answered 200 (with the welcome message as the
 * body for `conversation_started`, which Viber delivers to the client).
 */
export function viberWebhookRoute(deps: {
  accounts: readonly ViberAccount[];
  handle: (
    account: ViberAccount,
    raw: Uint8Array,
    text: string,
  ) => Promise<{ status: number; json?: unknown }>;
}) {
  return webhookRoute<ViberAccount>({
    method: 'POST',
    path: '',
    verify(req) {
      const account = deps.accounts.find((a) => a.account === req.account);
      if (!account) return unknownAccount();
      const signature = req.header('x-viber-content-signature') ?? req.query.get('sig');
      if (!hmacHexEquals('sha256', account.token, req.body, signature))
        return refuse(403, 'wrong signature', 'forbidden');
      return { ok: true, value: account };
    },
    async handle(req, account) {
      const answer = await deps.handle(account, req.body, req.text());
      return { status: answer.status, json: answer.json ?? { status: 0 } };
    },
  });
}
