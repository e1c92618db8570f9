import type { Config } from '../../config/schema.js';
import { UnprocessableError } from '../../core/errors.js';
import { ALLOWED_UPDATES, createTelegramApi } from './api.js';

/**
 * `channels:connect -- telegram <account>`: a webhook account registers its URL with setWebhook
 * (secret_token, the full allowed_updates list; pending updates are kept) and reads back getWebhookInfo;
 * a polling account removes any webhook (getUpdates refuses to run while one is set).
 */
export async function connectTelegram(config: Config, accountName: string): Promise<unknown> {
  const account = config.channels.telegram.find((a) => a.account === accountName);
  if (!account) throw new UnprocessableError(`Telegram bot "${accountName}" is not configured`);
  const api = createTelegramApi(account);
  if (account.transport === 'polling') {
    return { deleteWebhook: await api.deleteWebhook({ drop_pending_updates: false }) };
  }
  const url =
    account.webhookUrl ?? `${config.server.publicUrl.replace(/\/+$/, '')}/webhooks/telegram/${accountName}`;
  const setWebhook = await api.setWebhook(url, {
    ...(account.secret ? { secret_token: account.secret } : {}),
    allowed_updates: [...ALLOWED_UPDATES],
    drop_pending_updates: false,
  });
  const info = await api.getWebhookInfo();
  return { setWebhook, webhookInfo: info };
}
