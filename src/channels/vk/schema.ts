import { z } from 'zod';

/** One attachment as VK sends it: `{ type, <type>: {...} }`; kept loosely, read by attachments.ts. */
export const vkAttachmentSchema = z.object({ type: z.string().min(1) }).loose();

/** A message object (API >= 5.103). Optional fields per vk-io's payload type. */
export const vkMessageSchema = z
  .object({
    id: z.number().int(),
    date: z.number().int().positive(),
    peer_id: z.number().int(),
    from_id: z.number().int(),
    out: z.number().int().optional(),
    text: z.string().default(''),
    conversation_message_id: z.number().int(),
    attachments: z.array(vkAttachmentSchema).default([]),
    fwd_messages: z.array(z.unknown()).optional(),
    payload: z.string().optional(),
    ref: z.string().optional(),
    ref_source: z.string().optional(),
    random_id: z.number().int().optional(),
    admin_author_id: z.number().int().optional(),
  })
  .loose();

/** The Callback API / Bots Long Poll envelope. `secret` is only in Callback deliveries. */
export const vkEventSchema = z
  .object({
    type: z.string().min(1),
    group_id: z.number().int(),
    event_id: z.string().optional(),
    v: z.string().optional(),
    secret: z.string().optional(),
    object: z.unknown().optional(),
  })
  .loose();

/** `message_new` carries `{ message, client_info }`; `message_reply` / `message_edit` a bare message. */
export const vkMessageNewObjectSchema = z
  .object({ message: vkMessageSchema, client_info: z.unknown().optional() })
  .loose();

/** users.get with fields city, contacts, domain. */
export const vkUserSchema = z
  .object({
    id: z.number().int(),
    first_name: z.string().default(''),
    last_name: z.string().default(''),
    domain: z.string().optional(),
    city: z.object({ id: z.number().int(), title: z.string() }).optional(),
    mobile_phone: z.string().optional(),
    home_phone: z.string().optional(),
  })
  .loose();
export const vkUsersGetSchema = z.array(vkUserSchema);

/** messages.send with peer_ids: one entry per peer. */
export const vkSendResultSchema = z.array(
  z
    .object({
      peer_id: z.number().int(),
      message_id: z.number().int().optional(),
      conversation_message_id: z.number().int().optional(),
      error: z.unknown().optional(),
    })
    .loose(),
);

/** groups.getCallbackConfirmationCode. */
export const vkConfirmationCodeSchema = z.object({ code: z.string() });

/** groups.getLongPollServer. */
export const vkLongPollServerSchema = z.object({
  key: z.string().min(1),
  server: z.string().min(1),
  ts: z.union([z.string(), z.number()]).transform(String),
});

/** One Bots Long Poll answer: updates, or `failed` 1 (new ts), 2 (key expired), 3 (history lost). */
export const vkLongPollAnswerSchema = z.union([
  z.object({ ts: z.union([z.string(), z.number()]).transform(String), updates: z.array(z.unknown()) }),
  z.object({ failed: z.number().int(), ts: z.union([z.string(), z.number()]).transform(String).optional() }),
]);

export type VkEvent = z.infer<typeof vkEventSchema>;
export type VkMessage = z.infer<typeof vkMessageSchema>;
export type VkUser = z.infer<typeof vkUserSchema>;

/** What the transport adds after storing: the sender's profile from users.get (or why there is none). */
export interface VkEnrichment {
  user?: VkUser;
  error?: string;
}
