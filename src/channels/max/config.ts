import { z } from 'zod';
import { checkBotAccounts, messengerAccountFields, webhookSecret } from '../messenger/config.js';

const maxAccount = z.object({
  ...messengerAccountFields,
  /** Sent by MAX as X-Max-Bot-Api-Secret (POST /subscriptions' secret); a secret. */
  secret: webhookSecret(5).optional(),
  /** The Bot API base (platform-api.max.ru is deprecated); tests point it at a loopback fake. */
  apiRoot: z.url().default('https://platform-api2.max.ru'),
});

/** `channels.max`: one entry per bot. */
export const maxConfigSchema = z.array(maxAccount).default([]).superRefine(checkBotAccounts);

export type MaxAccount = z.infer<typeof maxAccount>;
