import { z } from 'zod';
import { accountLabel, checkAccounts, mediaSettings, providerCallFields } from '../messenger/config.js';

const avitoAccountSchema = z.object({
  account: accountLabel,
  /** OAuth client_credentials of the Avito profile (Messenger API needs a paid tariff). Secrets: `${ENV}`. */
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Our Avito user id: in every Messenger API path, and the author of our own messages. */
  userId: z.number().int().positive(),
  /**
   * The last path segment of the webhook URL (`/webhooks/avito/<account>/<webhookSecret>`): Avito signs
   * nothing documented, so the URL itself is the secret. Long and random; compared in constant time.
   */
  webhookSecret: z.string().min(16, 'at least 16 characters: it is the only thing authenticating Avito'),
  /** The API's base URL (tests point it at a loopback fake). */
  apiRoot: z.url().default('https://api.avito.ru'),
  /** The token (24 h) is renewed this long before it expires. */
  tokenRefreshMarginMs: z.number().int().nonnegative().default(600_000),
  ...providerCallFields,
  /** Copying attachments before the provider's links expire (docs/messengers.md#attachments). */
  media: mediaSettings(['avito.ru', '*.avito.ru', '*.avito.st']),
});

/** `channels.avito`: Avito profiles whose Messenger chats are taken in and answered. See docs/messengers.md. */
export const avitoConfigSchema = z
  .array(avitoAccountSchema)
  .default([])
  .superRefine((accounts, ctx) => checkAccounts(accounts, ctx));

export type AvitoAccount = z.infer<typeof avitoAccountSchema>;
