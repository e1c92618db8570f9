import { z } from 'zod';

/** `custom_fields_values`: phones and emails under `field_code` PHONE / EMAIL (reference §9). */
const customFields = z
  .array(
    z.object({
      field_code: z.string().nullish(),
      values: z.array(z.object({ value: z.union([z.string(), z.number()]).transform(String) })),
    }),
  )
  .nullish();

export const amoContactSchema = z.object({
  id: z.number().int(),
  name: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  updated_at: z.number().int().optional(),
  custom_fields_values: customFields,
});

export const amoLeadSchema = z.object({
  id: z.number().int(),
  name: z.string().nullish(),
  status_id: z.number().int(),
  pipeline_id: z.number().int(),
  updated_at: z.number().int().optional(),
  _embedded: z
    .object({
      contacts: z.array(z.object({ id: z.number().int(), is_main: z.boolean().optional() })).optional(),
    })
    .optional(),
});

/** POST /api/v4/leads/unsorted/forms reply: `_embedded.unsorted[{uid, request_id, _embedded.leads[{id}]}]`. */
export const amoUnsortedReplySchema = z.object({
  _embedded: z.object({
    unsorted: z.array(
      z.object({
        uid: z.string(),
        request_id: z.string().optional(),
        _embedded: z.object({ leads: z.array(z.object({ id: z.number().int() })).optional() }).optional(),
      }),
    ),
  }),
});

export type AmoContact = z.infer<typeof amoContactSchema>;
export type AmoLead = z.infer<typeof amoLeadSchema>;

/** amoCRM's fixed statuses: 142 successfully realized, 143 closed and not realized (reference §9 "Mapping"). */
export const WON_STATUS = 142;
export const LOST_STATUS = 143;
