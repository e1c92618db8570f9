import { z } from 'zod';

/** Messenger API v3 webhook: WebhookMessage (`payload.value`). */
export const avitoMessageSchema = z
  .object({
    id: z.string().min(1),
    chat_id: z.string().min(1),
    user_id: z.number().int(),
    author_id: z.number().int(),
    created: z.number().int().positive(),
    type: z.string().min(1),
    chat_type: z.string().optional(),
    content: z.record(z.string(), z.unknown()).default({}),
    item_id: z.number().int().nullable().optional(),
    published_at: z.string().optional(),
    read: z.number().int().nullable().optional(),
  })
  .loose();

export const avitoWebhookSchema = z
  .object({
    id: z.string().min(1),
    version: z.string().optional(),
    timestamp: z.number().int().optional(),
    payload: z.object({ type: z.string().min(1), value: z.unknown() }).loose(),
  })
  .loose();

/** POST /token (client_credentials). */
export const avitoTokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  token_type: z.string().optional(),
});

const avitoUserSchema = z.object({ id: z.number().int(), name: z.string().default('') }).loose();

/** GET /messenger/v2/accounts/{user_id}/chats/{chat_id}. */
export const avitoChatSchema = z
  .object({
    id: z.string(),
    context: z
      .object({
        type: z.string(),
        value: z
          .object({
            id: z.number().int().optional(),
            title: z.string().optional(),
            url: z.string().optional(),
            price_string: z.string().optional(),
          })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
    users: z.array(avitoUserSchema).default([]),
  })
  .loose();

/** GET /core/v1/items: our listings, with their address. */
export const avitoItemsSchema = z
  .object({
    resources: z
      .array(
        z
          .object({
            id: z.number().int(),
            title: z.string().optional(),
            address: z.string().optional(),
            url: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

/** POST …/chats/{chat_id}/messages. */
export const avitoSentSchema = z
  .object({ id: z.string().min(1), created: z.number().int().optional() })
  .loose();

/** `getVoiceFiles`: a link per voice id, valid one hour (reference §1.5). */
export const avitoVoiceFilesSchema = z.object({ voices_urls: z.record(z.string(), z.string()) }).loose();

const avitoListedMessageSchema = z
  .object({
    id: z.string().min(1),
    author_id: z.number().int().optional(),
    created: z.number().int(),
    direction: z.string().optional(),
    type: z.string().optional(),
    content: z.object({ text: z.string().optional() }).loose().optional(),
  })
  .loose();

/** `GET /messenger/v3/…/chats/{chat_id}/messages/`: the newest messages (a bare array, or under `messages`). */
export const avitoMessagesSchema = z
  .union([
    z.array(avitoListedMessageSchema),
    z.object({ messages: z.array(avitoListedMessageSchema) }).loose(),
  ])
  .transform((v) => (Array.isArray(v) ? v : v.messages));

/** Errors: `{"error":{"code":401,"message":"Unauthorized"}}`. */
export const avitoErrorSchema = z.object({
  error: z.object({ code: z.number().optional(), message: z.string().optional() }).loose(),
});

export type AvitoWebhook = z.infer<typeof avitoWebhookSchema>;
export type AvitoMessage = z.infer<typeof avitoMessageSchema>;
export type AvitoChat = z.infer<typeof avitoChatSchema>;

/** What the transport adds after storing: the chat (buyer's name, listing) and the listing's address. */
export interface AvitoEnrichment {
  chat?: AvitoChat;
  itemAddress?: string;
  /** The buyer of our own reply (recorded by the replier). */
  buyerId?: number;
  error?: string;
}
