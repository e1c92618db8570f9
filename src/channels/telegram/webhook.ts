import { refuse, unknownAccount, webhookRoute } from '../webhook/route.js';
import { secretEquals } from '../webhook/verify.js';
import type { IngestResult, TelegramBot } from './ingest.js';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/**
 * POST /webhooks/telegram/<account>: the secret header is compared in constant time (missing: 401, wrong:
 * 403, nothing stored); the update is stored before the 200 that tells Telegram not to send it again.
 */
export function telegramWebhook(
  bots: ReadonlyMap<string, TelegramBot>,
  ingest: (bot: TelegramBot, body: unknown, raw?: Uint8Array) => Promise<IngestResult>,
) {
  return webhookRoute<TelegramBot>({
    method: 'POST',
    path: '',
    verify(req) {
      const bot = bots.get(req.account);
      if (bot?.account.transport !== 'webhook' || !bot.account.secret) return unknownAccount();
      const given = req.header(SECRET_HEADER);
      if (given === undefined) return refuse(401, 'missing secret token', 'unauthorized');
      if (!secretEquals(given, bot.account.secret)) return refuse(403, 'wrong secret token', 'forbidden');
      return { ok: true, value: bot };
    },
    async handle(req, bot) {
      let body: unknown;
      try {
        body = JSON.parse(req.text());
      } catch {
        body = undefined;
      }
      // Unparsable bytes are kept as they came (raw) on the rejected event.
      const result = await ingest(bot, body ?? null, req.body);
      return result.stored
        ? { status: 200, json: { ok: true } }
        : { status: 400, json: { error: result.reason } };
    },
  });
}
