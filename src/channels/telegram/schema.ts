import { z } from 'zod';

/**
 * The parts of Telegram Bot API updates Switchboard reads (field names and types per @grammyjs/types, API
 * 10.3). Objects are loose: Telegram adds fields often, and the stored payload is the update as received.
 */
const user = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});

const chat = z.looseObject({
  id: z.number().int(),
  type: z.enum(['private', 'group', 'supergroup', 'channel']),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  title: z.string().optional(),
});

const file = {
  file_id: z.string(),
  file_unique_id: z.string(),
  file_size: z.number().int().optional(),
};

export const messageSchema = z.looseObject({
  message_id: z.number().int(),
  from: user.optional(),
  chat,
  date: z.number().int(),
  edit_date: z.number().int().optional(),
  business_connection_id: z.string().optional(),
  sender_business_bot: user.optional(),
  is_from_offline: z.boolean().optional(),
  media_group_id: z.string().optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  photo: z.array(z.looseObject({ ...file, width: z.number().int(), height: z.number().int() })).optional(),
  document: z
    .looseObject({ ...file, file_name: z.string().optional(), mime_type: z.string().optional() })
    .optional(),
  voice: z.looseObject({ ...file, duration: z.number().int(), mime_type: z.string().optional() }).optional(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number() }).optional(),
  contact: z
    .looseObject({
      phone_number: z.string(),
      first_name: z.string(),
      last_name: z.string().optional(),
      user_id: z.number().int().optional(),
      vcard: z.string().optional(),
    })
    .optional(),
});

const chatMember = z.looseObject({ user, status: z.string() });

export const updateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: messageSchema.optional(),
  edited_message: messageSchema.optional(),
  business_message: messageSchema.optional(),
  edited_business_message: messageSchema.optional(),
  my_chat_member: z
    .looseObject({
      chat,
      from: user,
      date: z.number().int(),
      old_chat_member: chatMember,
      new_chat_member: chatMember,
    })
    .optional(),
  callback_query: z
    .looseObject({ id: z.string(), from: user, data: z.string().optional(), message: z.unknown().optional() })
    .optional(),
  business_connection: z
    .looseObject({
      id: z.string(),
      user,
      user_chat_id: z.number().int(),
      date: z.number().int(),
      is_enabled: z.boolean(),
    })
    .optional(),
  deleted_business_messages: z
    .looseObject({ business_connection_id: z.string(), chat, message_ids: z.array(z.number().int()) })
    .optional(),
});

/** Bot API answers (`{ok, result}` / `{ok: false, error_code, description, parameters}`), for the fixtures. */
export const apiResponseSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error_code: z.number().int(),
    description: z.string(),
    parameters: z.object({ retry_after: z.number().int().optional() }).optional(),
  }),
]);

export type TelegramUpdate = z.infer<typeof updateSchema>;
export type TelegramMessage = z.infer<typeof messageSchema>;

/**
 * What the channel stores in `inbound_events.payload`: an update as Telegram sent it, or a message our
 * replier sent (Telegram's answer to sendMessage/sendDocument), recorded as outbound.
 */
export const storedSchema = z.union([
  z.object({ account: z.string().min(1), update: updateSchema }),
  z.object({ account: z.string().min(1), sent: messageSchema, actor: z.string().optional() }),
]);

/** The message key: dedup across webhook retries and polling redelivery (update_id is not stable). */
export function messageKey(
  m: Pick<TelegramMessage, 'chat' | 'message_id' | 'business_connection_id'>,
): string {
  return m.business_connection_id
    ? `biz:${m.business_connection_id}:${m.chat.id}:${m.message_id}`
    : `${m.chat.id}:${m.message_id}`;
}

/** The conversation of a chat: the bot's own chat, or a business account's chat (replied to through it). */
export function threadKeyOf(m: Pick<TelegramMessage, 'chat' | 'business_connection_id'>): string {
  return m.business_connection_id ? `biz:${m.business_connection_id}:${m.chat.id}` : `chat:${m.chat.id}`;
}

/** The reverse of threadKeyOf. */
export function parseThreadKey(key: string): { chatId: number; businessConnectionId?: string } | undefined {
  const direct = /^chat:(-?\d+)$/.exec(key);
  if (direct) return { chatId: Number(direct[1]) };
  const biz = /^biz:(.+):(-?\d+)$/.exec(key);
  if (biz) return { chatId: Number(biz[2]), businessConnectionId: biz[1]! };
  return undefined;
}
