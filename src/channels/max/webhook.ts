import { refuse, unknownAccount, webhookRoute } from '../webhook/route.js';
import { secretEquals } from '../webhook/verify.js';
import type { MaxBot, MaxIngest } from './ingest.js';
import { parseJsonKeepingBigInts } from './json.js';

export const SECRET_HEADER = 'x-max-bot-api-secret';

/**
 * POST /webhooks/max/<account>: the secret header is compared in constant time (missing: 401, wrong: 403,
 * nothing stored); the update (64-bit integers kept exact) is stored before the 200 — MAX retries anything
 * else for up to 8 hours, and the message id makes a retry a duplicate.
 */
export function maxWebhook(bots: ReadonlyMap<string, MaxBot>, ingest: MaxIngest) {
  return webhookRoute<MaxBot>({
    method: 'POST',
    path: '',
    verify(req) {
      const bot = bots.get(req.account);
      if (bot?.account.transport !== 'webhook' || !bot.account.secret) return unknownAccount();
      const given = req.header(SECRET_HEADER);
      if (given === undefined) return refuse(401, 'missing secret', 'unauthorized');
      if (!secretEquals(given, bot.account.secret)) return refuse(403, 'wrong secret', 'forbidden');
      return { ok: true, value: bot };
    },
    async handle(req, bot) {
      let body: unknown = null;
      try {
        body = parseJsonKeepingBigInts(req.text());
      } catch {
        // kept as rejected, with the bytes as they came
      }
      const result = await ingest(bot, body, req.body);
      return result.stored
        ? { status: 200, json: { ok: true } }
        : { status: 400, json: { error: result.reason } };
    },
  });
}
