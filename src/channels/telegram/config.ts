import { z } from 'zod';
import {
  checkBotAccounts,
  mediaSettings,
  messengerAccountFields,
  webhookSecret,
} from '../messenger/config.js';

const telegramAccount = z.object({
  ...messengerAccountFields,
  /** Sent by Telegram as X-Telegram-Bot-Api-Secret-Token (setWebhook's secret_token); a secret. */
  secret: webhookSecret(1).optional(),
  /** The Bot API server; tests and a local Bot API server point it elsewhere. */
  apiRoot: z.url().default('https://api.telegram.org'),
  /** Copying photos, documents and voice messages (getFile) into the database: docs/messengers.md#attachments. */
  media: mediaSettings(['api.telegram.org']),
});

/** `channels.telegram`: one entry per bot. */
export const telegramConfigSchema = z.array(telegramAccount).default([]).superRefine(checkBotAccounts);

export type TelegramAccount = z.infer<typeof telegramAccount>;
