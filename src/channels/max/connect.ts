import type { Config } from '../../config/schema.js';
import { UnprocessableError } from '../../core/errors.js';
import { realSleep } from '../messenger/sleep.js';
import { createMaxClient } from './client.js';

/**
 * `channels:connect -- max <account>`: a webhook account subscribes its URL (POST /subscriptions with the
 * secret and the update types) and reads back GET /subscriptions; a polling account removes that URL's
 * subscription (MAX does not deliver by polling while a webhook is subscribed).
 */
export async function connectMax(config: Config, accountName: string): Promise<unknown> {
  const account = config.channels.max.find((a) => a.account === accountName);
  if (!account) throw new UnprocessableError(`MAX bot "${accountName}" is not configured`);
  const client = createMaxClient(account, { sleep: realSleep });
  const url =
    account.webhookUrl ?? `${config.server.publicUrl.replace(/\/+$/, '')}/webhooks/max/${accountName}`;
  if (account.transport === 'polling') return { unsubscribe: await client.unsubscribe(url) };
  const subscribe = await client.subscribe(url, account.secret);
  return { subscribe, subscriptions: await client.subscriptions() };
}
