import { parseStorableJson } from '../../core/safe-json.js';
import { messengerWebhook } from '../messenger/webhook.js';
import type { TelegramBot, TelegramIngest } from './ingest.js';

/** POST /webhooks/telegram/<account>, authenticated by the secret_token given to setWebhook. */
export function telegramWebhook(bots: ReadonlyMap<string, TelegramBot>, ingest: TelegramIngest) {
  return messengerWebhook({
    secretHeader: 'x-telegram-bot-api-secret-token',
    bots,
    parse: (bytes) => parseStorableJson(bytes),
    ingest,
  });
}
