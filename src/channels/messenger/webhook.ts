import type { ParsedJson } from '../../core/safe-json.js';
import { refuse, unknownAccount, webhookRoute } from '../webhook/route.js';
import { secretEquals } from '../webhook/verify.js';

/** What storing one update came to: stored (then decided), or kept as rejected with the reason. */
export type IngestResult = { stored: true; eventId: string } | { stored: false; reason: string };

interface WebhookBot {
  account: { transport: 'webhook' | 'polling'; secret?: string | undefined };
}

/**
 * POST /webhooks/<channel>/<account> of a messenger bot: only a webhook account with a secret is served
 * (else 404); the secret header is compared in constant time (missing: 401, wrong: 403; nothing stored).
 * The body is parsed for storage (an unreadable one is kept as rejected with its bytes) and stored before the
 * answer: 200 once stored, 400 when kept as rejected.
 */
export function messengerWebhook<B extends WebhookBot>(o: {
  secretHeader: string;
  bots: ReadonlyMap<string, B>;
  parse: (bytes: Uint8Array) => ParsedJson;
  ingest: (bot: B, body: unknown, raw?: Uint8Array, unreadable?: string) => Promise<IngestResult>;
}) {
  return webhookRoute<B>({
    method: 'POST',
    path: '',
    verify(req) {
      const bot = o.bots.get(req.account);
      if (bot?.account.transport !== 'webhook' || !bot.account.secret) return unknownAccount();
      const given = req.header(o.secretHeader);
      if (given === undefined) return refuse(401, 'missing secret', 'unauthorized');
      if (!secretEquals(given, bot.account.secret)) return refuse(403, 'wrong secret', 'forbidden');
      return { ok: true, value: bot };
    },
    async handle(req, bot) {
      const parsed = o.parse(req.body);
      const result = parsed.ok
        ? await o.ingest(bot, parsed.value, req.body)
        : await o.ingest(bot, null, req.body, parsed.reason);
      return result.stored
        ? { status: 200, json: { ok: true } }
        : { status: 400, json: { error: result.reason } };
    },
  });
}
