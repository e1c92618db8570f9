import { parseStorableJson } from '../../core/safe-json.js';
import { refuse, unknownAccount, type WebhookRequest, webhookRoute } from '../webhook/route.js';
import { secretEquals } from '../webhook/verify.js';
import type { VkAccount } from './config.js';

type Verified = { account: VkAccount; body: unknown; raw?: Uint8Array };

/**
 * `POST /webhooks/vk/<account>`, the Callback API. The `secret` inside the body is compared in constant
 * time before anything else (wrong or missing: 403, nothing stored); the confirmation request is answered
 * with the configured string as text/plain; every other event is stored, then answered `ok`.
 */
export function vkCallbackRoute(deps: {
  accounts: readonly VkAccount[];
  handle: (account: VkAccount, body: unknown, raw?: Uint8Array) => Promise<'ok' | 'rejected'>;
}) {
  return webhookRoute<Verified>({
    method: 'POST',
    path: '',
    verify(req: WebhookRequest) {
      const account = deps.accounts.find((a) => a.account === req.account && a.transport === 'callback');
      if (!account) return unknownAccount();
      const parsed = parseStorableJson(req.text());
      const body = parsed.ok ? parsed.value : undefined;
      // A body we cannot read carries no secret we could check: refused like a wrong secret.
      const fields = (body ?? {}) as { secret?: unknown; group_id?: unknown };
      const given = typeof fields.secret === 'string' ? fields.secret : undefined;
      if (!secretEquals(given, account.secret ?? '')) return refuse(403, 'wrong secret', 'forbidden');
      if (fields.group_id !== account.groupId) return refuse(403, 'another community', 'forbidden');
      // The bytes are kept, with the secret they carry replaced: a secret is never stored.
      const redacted = req.text().replaceAll(JSON.stringify(given), '"[redacted]"');
      const raw = given && redacted.includes(given) ? undefined : new TextEncoder().encode(redacted);
      return { ok: true, value: { account, body, ...(raw ? { raw } : {}) } };
    },
    async handle(_req, { account, body, raw }) {
      if ((body as { type?: unknown }).type === 'confirmation')
        return { status: 200, text: account.confirmation ?? '' };
      const result = await deps.handle(account, body, raw);
      return result === 'ok' ? { status: 200, text: 'ok' } : { status: 400, text: 'bad update' };
    },
  });
}
