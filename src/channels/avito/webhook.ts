import { parseStorableJson } from '../../core/safe-json.js';
import { refuse, unknownAccount, webhookRoute } from '../webhook/route.js';
import { secretEquals } from '../webhook/verify.js';
import type { AvitoAccount } from './config.js';

/**
 * `POST /webhooks/avito/<account>/<webhookSecret>`, Messenger API v3. The secret path segment is compared in
 * constant time (wrong: 403, nothing stored). Avito checks a new subscription with a bare `{}` within 2 s:
 * that is answered 200 and not stored. Everything else is stored, then answered `{"ok":true}`.
 */
export function avitoWebhookRoute(deps: {
  accounts: readonly AvitoAccount[];
  handle: (account: AvitoAccount, body: unknown, raw: Uint8Array) => Promise<'ok' | 'rejected'>;
}) {
  return webhookRoute<AvitoAccount>({
    method: 'POST',
    path: '/:secret',
    verify(req) {
      const account = deps.accounts.find((a) => a.account === req.account);
      if (!account) return unknownAccount();
      if (!secretEquals(req.params.secret, account.webhookSecret))
        return refuse(403, 'wrong secret', 'forbidden');
      return { ok: true, value: account };
    },
    async handle(req, account) {
      const parsed = parseStorableJson(req.text());
      const body = parsed.ok ? parsed.value : undefined;
      if (body !== null && typeof body === 'object' && Object.keys(body).length === 0)
        return { status: 200, json: { ok: true } };
      const result = await deps.handle(account, body, req.body);
      return result === 'ok'
        ? { status: 200, json: { ok: true } }
        : { status: 400, json: { error: 'bad update' } };
    },
  });
}
