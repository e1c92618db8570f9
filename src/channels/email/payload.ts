import { z } from 'zod';

/**
 * What the email channel stores beside the raw RFC 822 bytes of an inbound event (content type
 * message/rfc822): where a received message came from, or which conversation a reply we sent belongs to.
 */
export const emailEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('received'),
    /** The mailbox label: the channel account. */
    mailbox: z.string().min(1),
    folder: z.string().min(1),
    uid: z.number().int().positive(),
    /** IMAP UIDVALIDITY as a decimal string (a 32-bit unsigned value, bigint in imapflow). */
    uidValidity: z.string().regex(/^\d+$/),
    /** When the server received it (IMAP INTERNALDATE): the SLA clock starts here. */
    internalDate: z.iso.datetime({ offset: true }).optional(),
    /** When Switchboard fetched it. */
    receivedAt: z.iso.datetime({ offset: true }),
    /** Set when the raw bytes live in a file under the data directory instead of the `raw` column. */
    rawFile: z
      .object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int() })
      .optional(),
  }),
  z.object({
    kind: z.literal('sent'),
    mailbox: z.string().min(1),
    conversationId: z.uuid(),
    /** The conversation's thread key; the reply joins it whatever its headers say. */
    threadKey: z.string().min(1),
    sentAt: z.iso.datetime({ offset: true }),
    /** Who sent it: `api:<token name>`. */
    actor: z.string().min(1),
  }),
]);

export type EmailEvent = z.infer<typeof emailEventSchema>;
