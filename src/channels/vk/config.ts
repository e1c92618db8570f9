import { z } from 'zod';
import { accountLabel, checkAccounts, mediaSettings, providerCallFields } from '../messenger/config.js';

const vkAccountSchema = z.object({
  account: accountLabel,
  /** The community (group) id: Callback API deliveries name it, Long Poll asks for its server. */
  groupId: z.number().int().positive(),
  /** A community token with the messages right. A secret: reference it as `${VK_TOKEN}`. */
  token: z.string().min(1),
  /** The Callback API "secret key" VK puts in every delivery; compared in constant time. A secret. */
  secret: z.string().min(1).optional(),
  /** The string VK expects back from the confirmation request (Callback API settings). */
  confirmation: z.string().min(1).optional(),
  /** callback: VK posts to /webhooks/vk/<account>; longpoll: we poll (no public URL needed). Never both. */
  transport: z.enum(['callback', 'longpoll']).default('callback'),
  /** The API's base URL (tests point it at a loopback fake). */
  apiRoot: z.url().default('https://api.vk.com'),
  /** Callback API and Long Poll must be set to this version in the community settings too. */
  apiVersion: z.string().default('5.199'),
  ...providerCallFields,
  /** Copying attachments before the provider's links expire (docs/messengers.md#attachments). */
  media: mediaSettings(['vk.com', '*.vk.com', '*.userapi.com', '*.vkuser.net', '*.vk-cdn.net']),
});

/** `channels.vk`: VK communities whose messages are taken in and answered. See docs/messengers.md. */
export const vkConfigSchema = z
  .array(vkAccountSchema)
  .default([])
  .superRefine((accounts, ctx) => {
    checkAccounts(accounts, ctx);
    accounts.forEach((a, i) => {
      if (a.transport !== 'callback') return;
      // Without a secret anyone who learns the URL could post messages in the community's name.
      if (!a.secret)
        ctx.addIssue({ code: 'custom', path: [i, 'secret'], message: 'required for transport: callback' });
      if (!a.confirmation)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'confirmation'],
          message: 'required for transport: callback',
        });
    });
  });

export type VkAccount = z.infer<typeof vkAccountSchema>;
