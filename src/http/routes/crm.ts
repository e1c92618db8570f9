import { createRoute, z } from '@hono/zod-openapi';
import { upsertCompany, upsertContact, upsertDeal } from '../../crm/crm-sync.js';
import { companyBodySchema, contactBodySchema, dealBodySchema } from '../../crm/schemas.js';
import type { App, AppDeps } from '../app-types.js';
import { errors, externalIdParam, ok, security } from './schemas.js';

const upserted = z.object({ id: z.uuid(), outcome: z.enum(['created', 'updated', 'linked']) });
const contactUpserted = upserted.extend({
  rejected: z.array(z.object({ field: z.string(), reason: z.string() })),
  mergeSuggestionIds: z.array(z.uuid()),
});

// `PUT /contacts/{id}` shares its path with `GET /contacts/{id}`: one path, one parameter name (OpenAPI allows
// no other); for the PUT it is the CRM's id, as for companies and deals.
const crmContactIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({
      param: { name: 'id', in: 'path', description: "The contact's id in the CRM (its external id)" },
    }),
});

const put = <S extends z.ZodType, R extends z.ZodType, P extends z.ZodObject>(
  operationId: string,
  path: string,
  summary: string,
  schema: S,
  response: R,
  params: P,
) =>
  createRoute({
    method: 'put',
    path,
    operationId,
    summary,
    security,
    request: {
      params,
      body: { required: true, content: { 'application/json': { schema } } },
    },
    responses: { 200: ok('Upserted', response), ...errors },
  });

export function registerCrm(app: App, deps: AppDeps): void {
  app.openapi(
    put(
      'upsertCompany',
      '/api/v1/companies/{externalId}',
      'The CRM pushes a company (idempotent)',
      companyBodySchema,
      upserted,
      externalIdParam,
    ),
    async (c) => {
      const r = await upsertCompany(
        deps.sql,
        c.req.valid('param').externalId,
        c.req.valid('json'),
        c.get('actor'),
      );
      return c.json(r, 200);
    },
  );
  app.openapi(
    put(
      'upsertContact',
      '/api/v1/contacts/{id}',
      'The CRM pushes a contact (idempotent; links a known prospect)',
      contactBodySchema,
      contactUpserted,
      crmContactIdParam,
    ),
    async (c) => {
      const { id: externalId } = c.req.valid('param');
      const r = await upsertContact(deps.sql, externalId, c.req.valid('json'), deps.policy, c.get('actor'));
      return c.json(r, 200);
    },
  );
  app.openapi(
    put(
      'upsertDeal',
      '/api/v1/deals/{externalId}',
      'The CRM pushes a deal (idempotent)',
      dealBodySchema,
      upserted,
      externalIdParam,
    ),
    async (c) => {
      const r = await upsertDeal(
        deps.sql,
        c.req.valid('param').externalId,
        c.req.valid('json'),
        c.get('actor'),
      );
      return c.json(r, 200);
    },
  );
}
