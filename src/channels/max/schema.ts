import { z } from 'zod';

/**
 * MAX Bot API updates as Switchboard reads them (field names per max-messenger/api-schema 0.0.33 and the
 * official SDK's types). 64-bit integers arrive as strings (parseJsonKeepingBigInts in src/core/safe-json.ts) or small numbers: `int64` accepts
 * both and always yields a string. Objects are loose: the stored payload is the update as received.
 */
export const int64 = z
  .union([z.number().int(), z.string().regex(/^-?\d{1,20}$/)])
  .transform((v) => String(v));

const user = z.looseObject({
  user_id: int64,
  first_name: z.string().nullable().optional(),
  last_name: z.string().nullable().optional(),
  /** Deprecated for first_name/last_name, still sent. */
  name: z.string().nullable().optional(),
  username: z.string().nullable().optional(),
  is_bot: z.boolean().optional(),
});

const attachment = z.looseObject({
  type: z.string(),
  payload: z.unknown().optional(),
  latitude: z.number().optional(),
  longitude: z.number().optional(),
  filename: z.string().optional(),
  size: z.number().optional(),
});

export const messageSchema = z.looseObject({
  sender: user.nullable().optional(),
  recipient: z.looseObject({
    chat_id: int64.nullable().optional(),
    chat_type: z.string(),
    user_id: int64.nullable().optional(),
  }),
  timestamp: z.number().int(),
  body: z.looseObject({
    mid: z.string().min(1),
    seq: int64.optional(),
    text: z.string().nullable().optional(),
    attachments: z.array(attachment).nullable().optional(),
  }),
});

export const contactPayloadSchema = z.looseObject({
  vcf_info: z.string().nullable().optional(),
  max_info: user.nullable().optional(),
});

export const updateSchema = z
  .looseObject({
    update_type: z.string().min(1),
    /** Unix milliseconds. */
    timestamp: z.number().int(),
    message: messageSchema.optional(),
    chat_id: int64.optional(),
    user: user.optional(),
    payload: z.string().nullable().optional(),
    callback: z
      .looseObject({ callback_id: z.string().min(1), payload: z.string().nullable().optional(), user })
      .optional(),
    message_id: z.string().optional(),
    user_locale: z.string().nullable().optional(),
  })
  .superRefine((u, ctx) => {
    const needs = (field: 'message' | 'chat_id' | 'user' | 'callback') => {
      if (u[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `${u.update_type} needs ${field}` });
    };
    if (u.update_type === 'message_created' || u.update_type === 'message_edited') needs('message');
    if (u.update_type === 'bot_started' || u.update_type === 'bot_stopped') {
      needs('chat_id');
      needs('user');
    }
    if (u.update_type === 'message_callback') needs('callback');
  });

/** GET /updates. */
export const updatesResponseSchema = z.object({
  updates: z.array(z.unknown()),
  marker: int64.nullable().optional(),
});

/** MAX's error body: `{"code":"attachment.not.ready","message":"…"}`. */
export const errorSchema = z.looseObject({ code: z.string().optional(), message: z.string().optional() });

export type MaxUpdate = z.infer<typeof updateSchema>;
export type MaxMessage = z.infer<typeof messageSchema>;

/**
 * `inbound_events.payload` of the channel: an update (64-bit integers as strings), or a message our replier
 * sent (POST /messages' answer) with the client it went to, recorded as outbound.
 */
export const storedSchema = z.union([
  z.object({ account: z.string().min(1), update: updateSchema }),
  z.object({
    account: z.string().min(1),
    sent: messageSchema,
    client: z.object({ userId: z.string().optional(), chatId: z.string() }),
    actor: z.string().optional(),
  }),
]);

export const threadKeyOf = (chatId: string) => `chat:${chatId}`;

export function parseThreadKey(key: string): string | undefined {
  return /^chat:(-?\d+)$/.exec(key)?.[1];
}
