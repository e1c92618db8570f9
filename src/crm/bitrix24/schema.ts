import { z } from 'zod';

/** Bitrix24 sends numbers as strings (reference §3); ids are read as strings of digits. */
const id = z.union([z.string().regex(/^\d+$/), z.number().int()]).transform(String);
const optionalId = z.union([id, z.literal(''), z.null()]).optional();

/** A multi-field item (PHONE, EMAIL, IM): reference §3 "VALUE_TYPE". */
export const multiFieldSchema = z.object({
  ID: id.optional(),
  VALUE: z.string(),
  VALUE_TYPE: z.string().optional(),
  TYPE_ID: z.string().optional(),
});

const multi = z.array(multiFieldSchema).optional();

export const b24ContactSchema = z.object({
  ID: id,
  NAME: z.string().nullish(),
  LAST_NAME: z.string().nullish(),
  COMPANY_ID: optionalId,
  ASSIGNED_BY_ID: optionalId,
  DATE_MODIFY: z.string(),
  PHONE: multi,
  EMAIL: multi,
  IM: multi,
});

export const b24CompanySchema = z.object({
  ID: id,
  TITLE: z.string().nullish(),
  ASSIGNED_BY_ID: optionalId,
  DATE_MODIFY: z.string(),
});

export const b24DealSchema = z.object({
  ID: id,
  TITLE: z.string().nullish(),
  STAGE_ID: z.string().nullish(),
  /** P in progress, S success, F failure (reference §3). */
  STAGE_SEMANTIC_ID: z.enum(['P', 'S', 'F']).nullish(),
  CATEGORY_ID: optionalId,
  COMPANY_ID: optionalId,
  CONTACT_ID: optionalId,
  ASSIGNED_BY_ID: optionalId,
  DATE_MODIFY: z.string(),
});

export const b24LeadSchema = z.object({
  ID: id,
  STATUS_ID: z.string(),
  ORIGIN_ID: z.string().nullish(),
  DATE_MODIFY: z.string(),
});

/** crm.deal.contact.items.get */
export const dealContactsSchema = z.array(
  z.object({ CONTACT_ID: id, IS_PRIMARY: z.enum(['Y', 'N']).optional() }),
);

/** user.get */
export const b24UserSchema = z.object({
  ID: id,
  EMAIL: z.string().nullish(),
  ACTIVE: z.boolean().optional(),
});

/** Every reply: `{result, time, total?, next?}` or `{error, error_description}` (reference §0, §2). */
export const envelopeSchema = z.union([
  z.object({
    result: z.unknown(),
    total: z.number().optional(),
    next: z.number().optional(),
    time: z.unknown().optional(),
  }),
  z.object({ error: z.string(), error_description: z.string().optional() }),
]);

/** `batch` result: empty maps come back as `[]` (reference §2). */
const mapOrEmpty = <T extends z.ZodType>(v: T) =>
  z.union([z.record(z.string(), v), z.array(z.never()).transform(() => ({}) as Record<string, z.infer<T>>)]);
export const batchResultSchema = z.object({
  result: mapOrEmpty(z.unknown()),
  result_error: mapOrEmpty(z.object({ error: z.string(), error_description: z.string().optional() })),
  result_total: mapOrEmpty(z.number()).optional(),
  result_next: mapOrEmpty(z.number()).optional(),
});

/** The outgoing webhook's form body (reference §4), decoded from `a[b][c]=…` keys. */
export const b24EventSchema = z.object({
  event: z
    .string()
    .transform((e) => e.toUpperCase())
    .pipe(z.string().regex(/^ONCRM(CONTACT|COMPANY|DEAL|LEAD)(ADD|UPDATE|DELETE)$/)),
  'data[FIELDS][ID]': z.string().regex(/^\d{1,18}$/),
  'auth[application_token]': z.string().min(1),
  'auth[domain]': z.string().optional(),
  ts: z.string().optional(),
});

export type B24Contact = z.infer<typeof b24ContactSchema>;
export type B24Company = z.infer<typeof b24CompanySchema>;
export type B24Deal = z.infer<typeof b24DealSchema>;
export type B24Lead = z.infer<typeof b24LeadSchema>;
export type B24Event = z.infer<typeof b24EventSchema>;
export type B24Entity = 'contact' | 'company' | 'deal' | 'lead';
