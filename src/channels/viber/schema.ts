import { z } from 'zod';

/** 64-bit tokens arrive as numbers; parseJsonKeepingBigInts keeps the big ones as strings. */
const token = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);

export const viberUserSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().optional(),
    avatar: z.string().optional(),
    country: z.string().optional(),
    language: z.string().optional(),
    api_version: z.number().int().optional(),
  })
  .loose();

export const viberMessageSchema = z
  .object({
    type: z.string().min(1),
    text: z.string().optional(),
    media: z.string().optional(),
    thumbnail: z.string().optional(),
    file_name: z.string().optional(),
    size: z.number().optional(),
    duration: z.number().optional(),
    sticker_id: z.number().optional(),
    location: z.object({ lat: z.number(), lon: z.number() }).loose().optional(),
    contact: z
      .object({
        name: z.string().optional(),
        phone_number: z.string().optional(),
        avatar: z.string().optional(),
      })
      .loose()
      .optional(),
    tracking_data: z.string().optional(),
  })
  .loose();

const base = {
  timestamp: z.number().int().positive(),
  message_token: token.optional(),
  chat_hostname: z.string().optional(),
};

/** Every callback Viber sends (REST Bot API), by `event`. */
export const viberCallbackSchema = z.discriminatedUnion('event', [
  z
    .object({
      event: z.literal('message'),
      ...base,
      message_token: token,
      sender: viberUserSchema,
      message: viberMessageSchema,
      silent: z.boolean().optional(),
    })
    .loose(),
  z
    .object({
      event: z.literal('conversation_started'),
      ...base,
      type: z.string().optional(),
      context: z.string().optional(),
      user: viberUserSchema,
      subscribed: z.boolean().optional(),
    })
    .loose(),
  z.object({ event: z.literal('subscribed'), ...base, user: viberUserSchema }).loose(),
  z.object({ event: z.literal('unsubscribed'), ...base, user_id: z.string().min(1) }).loose(),
  z
    .object({
      event: z.enum(['delivered', 'seen', 'failed']),
      ...base,
      user_id: z.string().min(1),
      desc: z.string().optional(),
    })
    .loose(),
  z.object({ event: z.literal('webhook'), ...base }).loose(),
]);

/** send_message / set_webhook answers: status 0 is success, anything else a refusal with a message. */
export const viberAnswerSchema = z
  .object({
    status: z.number().int(),
    status_message: z.string().optional(),
    message_token: token.optional(),
  })
  .loose();

export type ViberCallback = z.infer<typeof viberCallbackSchema>;
export type ViberMessage = z.infer<typeof viberMessageSchema>;

/** The tracking data our share-phone request carries; Viber echoes it on the user's answer. */
export const SHARE_PHONE_TRACKING = 'share-phone';
