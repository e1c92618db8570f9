import { z } from 'zod';

/**
 * Green-API webhook notifications (shapes per /work/shared/reference/messengers-telegram-max.md §3.1 and
 * Green-API's docs). Unknown fields are kept (loose objects): the stored payload is the provider's body.
 */
const instanceData = z.looseObject({
  idInstance: z.number(),
  wid: z.string(),
  typeInstance: z.string(),
});

const senderData = z.looseObject({
  chatId: z.string().min(1),
  sender: z.string().optional(),
  chatName: z.string().optional(),
  senderName: z.string().optional(),
  senderContactName: z.string().optional(),
});

const fileMessageData = z.looseObject({
  downloadUrl: z.string().optional(),
  caption: z.string().optional(),
  fileName: z.string().optional(),
  mimeType: z.string().optional(),
});

export const greenMessageDataSchema = z.looseObject({
  typeMessage: z.string().min(1),
  textMessageData: z.looseObject({ textMessage: z.string() }).optional(),
  extendedTextMessageData: z.looseObject({ text: z.string() }).optional(),
  fileMessageData: fileMessageData.optional(),
  locationMessageData: z
    .looseObject({
      nameLocation: z.string().optional(),
      address: z.string().optional(),
      latitude: z.number(),
      longitude: z.number(),
    })
    .optional(),
  contactMessageData: z.looseObject({ displayName: z.string().optional(), vcard: z.string() }).optional(),
});

const messageNotification = z.looseObject({
  typeWebhook: z.enum(['incomingMessageReceived', 'outgoingMessageReceived', 'outgoingAPIMessageReceived']),
  instanceData,
  timestamp: z.number().int(),
  idMessage: z.string().min(1),
  senderData,
  messageData: greenMessageDataSchema,
});

/** Delivery/read status of a message we sent; recorded, not a communication. */
const statusNotification = z.looseObject({
  typeWebhook: z.literal('outgoingMessageStatus'),
  instanceData,
  timestamp: z.number().int(),
  idMessage: z.string().min(1),
  chatId: z.string().optional(),
  status: z.string(),
});

/** Anything else Green-API notifies (stateInstanceChanged, deviceInfo, incomingCall, …): recorded only. */
const otherNotification = z.looseObject({
  typeWebhook: z
    .string()
    .min(1)
    .refine(
      (t) =>
        ![
          'incomingMessageReceived',
          'outgoingMessageReceived',
          'outgoingAPIMessageReceived',
          'outgoingMessageStatus',
        ].includes(t),
    ),
  instanceData,
  timestamp: z.number().int(),
});

export const greenNotificationSchema = z.union([messageNotification, statusNotification, otherNotification]);
export type GreenNotification = z.infer<typeof greenNotificationSchema>;
export type GreenMessageNotification = z.infer<typeof messageNotification>;
export const isGreenMessage = (n: GreenNotification): n is GreenMessageNotification =>
  'messageData' in n && 'senderData' in n;

/**
 * A whatsapp-web.js message as the web transport stores it: the library's Message public fields (reference
 * messaging-channels.md §4.2) plus what the transport looked up when it received it — the sender's contact
 * (push name), the lid/phone pair (`getContactLidAndPhone`) and downloaded media. Stored as plain JSON so
 * normalize stays pure.
 */
export const webMessageSchema = z.looseObject({
  id: z.looseObject({
    fromMe: z.boolean(),
    remote: z.string().min(1),
    id: z.string().min(1),
    _serialized: z.string().min(1),
  }),
  body: z.string().default(''),
  type: z.string().min(1),
  /** Unix seconds. */
  timestamp: z.number().int(),
  from: z.string().min(1),
  to: z.string().min(1),
  author: z.string().optional(),
  fromMe: z.boolean(),
  hasMedia: z.boolean().default(false),
  isStatus: z.boolean().default(false),
  broadcast: z.boolean().default(false),
  isForwarded: z.boolean().optional(),
  vCards: z.array(z.string()).default([]),
  location: z
    .looseObject({
      latitude: z.union([z.number(), z.string()]),
      longitude: z.union([z.number(), z.string()]),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
});
export type WebMessage = z.infer<typeof webMessageSchema>;

/** The client's contact (Contact.js fields the transport keeps). */
export const webContactSchema = z.looseObject({
  number: z.string().nullish(),
  pushname: z.string().nullish(),
  name: z.string().nullish(),
});

/** Media saved under the data directory (`path` relative to it), or why it could not be. */
export const storedMediaSchema = z.object({
  mimetype: z.string().optional(),
  filename: z.string().optional(),
  size: z.number().int().optional(),
  path: z.string().optional(),
  error: z.string().optional(),
});
export type StoredMedia = z.infer<typeof storedMediaSchema>;

/** What `inbound_events.payload` holds for the whatsapp source: one of the two transports' records. */
export const whatsappPayloadSchema = z.discriminatedUnion('transport', [
  z.object({
    transport: z.literal('web'),
    account: z.string().min(1),
    message: webMessageSchema,
    contact: webContactSchema.optional(),
    /** `getContactLidAndPhone` for the client's chat id: `lid` `…@lid`, `pn` `…@c.us`, either may be absent. */
    ids: z.object({ lid: z.string().optional(), pn: z.string().optional() }).optional(),
    media: storedMediaSchema.optional(),
  }),
  z.object({
    transport: z.literal('gateway'),
    account: z.string().min(1),
    notification: greenNotificationSchema,
    media: storedMediaSchema.optional(),
  }),
]);
export type WhatsappPayload = z.infer<typeof whatsappPayloadSchema>;
