import { z } from 'zod';
import { accountLabel, checkAccounts, mediaSettings, providerCallFields } from '../messenger/config.js';

const viberAccountSchema = z.object({
  account: accountLabel,
  /** The bot's auth token: the API key and the HMAC key of every callback. A secret: `${VIBER_TOKEN}`. */
  token: z.string().min(1),
  /** Shown as the sender of our messages; Viber allows 28 characters. */
  senderName: z.string().min(1).max(28),
  senderAvatar: z.url().optional(),
  /** The API's base URL (tests point it at a loopback fake). */
  apiRoot: z.url().default('https://chatapi.viber.com'),
  /** The welcome answered to `conversation_started`: asks for the phone with a share-phone button. */
  welcome: z
    .object({
      text: z
        .string()
        .min(1)
        .max(7000)
        .default('Здравствуйте! Чтобы менеджер узнал вас, поделитесь, пожалуйста, номером телефона.'),
      button: z.string().min(1).max(250).default('Отправить номер телефона'),
    })
    .prefault({}),
  ...providerCallFields,
  /** Copying attachments before the provider's links expire (docs/messengers.md#attachments). */
  media: mediaSettings(['*.viber.com']),
});

/** `channels.viber`: Viber bots whose messages are taken in and answered. See docs/messengers.md. */
export const viberConfigSchema = z
  .array(viberAccountSchema)
  .default([])
  .superRefine((accounts, ctx) => checkAccounts(accounts, ctx));

export type ViberAccount = z.infer<typeof viberAccountSchema>;
