import { parseStorableJson } from '../../core/safe-json.js';
import { messengerWebhook } from '../messenger/webhook.js';
import type { MaxBot, MaxIngest } from './ingest.js';

/**
 * POST /webhooks/max/<account>, authenticated by the secret given to POST /subscriptions; 64-bit integers
 * are kept exact. MAX retries anything but 200 for up to 8 hours: the message id makes a retry a duplicate.
 */
export function maxWebhook(bots: ReadonlyMap<string, MaxBot>, ingest: MaxIngest) {
  return messengerWebhook({
    secretHeader: 'x-max-bot-api-secret',
    bots,
    parse: (bytes) => parseStorableJson(bytes, { bigInts: true }),
    ingest,
  });
}
