import { z } from '@hono/zod-openapi';
import { CHANNEL_KINDS } from '../../core/communication.js';
import { strictObject } from '../../core/unknown-fields.js';

const MESSENGERS = ['whatsapp', 'vk', 'avito', 'viber', 'telegram', 'max'] as const;

/** A messenger's name or "id" where `userId` belongs: `"from":{"vk":"12345"}`. */
const PARTY_HINTS = Object.fromEntries(
  [...MESSENGERS, 'id', 'user', 'max', 'instagram'].map((name) => [name, 'userId']),
);

export const partySchema = strictObject(
  {
    name: z.string().max(300).optional(),
    phones: z.array(z.string().max(100)).max(20).default([]),
    emails: z.array(z.string().max(320)).max(20).default([]),
    /** The user id on the messenger named by `channel` (VK id, Avito user id, Viber id...). */
    userId: z.string().min(1).max(200).optional(),
  },
  PARTY_HINTS,
).openapi('Party');

/** A normalized communication from any source: web forms, custom integrations, a small PBX script. */
export const inboundApiSchema = strictObject({
  channel: z.enum(CHANNEL_KINDS),
  account: z.string().min(1).max(200),
  externalId: z.string().min(1).max(500).optional().openapi({
    description:
      'Unique per channel account; retries with the same id are duplicates. Absent: derived from the body.',
  }),
  direction: z.enum(['in', 'out']).default('in'),
  occurredAt: z.iso.datetime({ offset: true }),
  from: partySchema.optional().openapi({ description: 'The client, for an inbound communication.' }),
  to: partySchema.optional().openapi({ description: 'The client, for an outbound communication.' }),
  threadKey: z.string().min(1).max(500).optional(),
  subject: z.string().max(1000).optional(),
  text: z.string().max(100_000).optional(),
  region: z
    .string()
    .max(20)
    .optional()
    .openapi({ description: 'An explicit region, e.g. from a form field (ISO 3166-2).' }),
  clientType: z.string().max(50).optional(),
  regionHint: z.string().max(200).optional().openapi({
    description:
      'A region the source reports (e.g. an Avito item region): a weaker routing signal than region.',
  }),
  city: z.string().max(200).optional().openapi({
    description: 'A city the source reports (VK profile city, Avito item city), used for the region.',
  }),
  call: strictObject({
    state: z.enum(['answered', 'missed']),
    dialled: z.string().max(100).optional(),
    agent: z.string().max(100).optional(),
    waitSeconds: z.number().int().nonnegative().optional(),
    talkSeconds: z.number().int().nonnegative().optional(),
    recordingUrl: z.url().optional(),
  })
    .optional()
    .openapi({ description: 'Present for a call: the generic entry for any PBX.' }),
})
  .superRefine((v, ctx) => {
    const party = v.direction === 'in' ? 'from' : 'to';
    if (!v[party])
      ctx.addIssue({ code: 'custom', path: [party], message: `required for direction "${v.direction}"` });
    for (const key of ['from', 'to'] as const) {
      const p = v[key];
      if (p?.userId && !(MESSENGERS as readonly string[]).includes(v.channel))
        ctx.addIssue({
          code: 'custom',
          path: [key, 'userId'],
          message: `needs a messenger channel (${MESSENGERS.join(', ')})`,
        });
    }
    if (v.call && v.channel !== 'phone')
      ctx.addIssue({ code: 'custom', path: ['call'], message: 'allowed only with channel "phone"' });
  })
  .openapi('InboundCommunication');

export type InboundApiBody = z.infer<typeof inboundApiSchema>;
export { MESSENGERS };
