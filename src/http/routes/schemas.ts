import { z } from '@hono/zod-openapi';

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export const anyObject = z.looseObject({});

const err = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
});
export const errors = {
  400: err('Malformed body or invalid field (the error names the field)'),
  401: err('Missing or invalid bearer token'),
  404: err('Not found'),
  409: err('Conflicting state change'),
  413: err('Body over the configured limit'),
  422: err('Well-formed but refers to something unknown'),
} as const;

export const ok = (description: string, schema: z.ZodType = anyObject) => ({
  description,
  content: { 'application/json': { schema } },
});

export const uuidParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });
export const externalIdParam = z.object({
  externalId: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'externalId', in: 'path' } }),
});
export const security = [{ bearer: [] }];
