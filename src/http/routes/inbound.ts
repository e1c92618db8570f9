import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ZodError } from 'zod';
import { inboundApiSchema } from '../../channels/api/schema.js';
import { DECISION_KINDS } from '../../core/communication.js';
import type { App, AppDeps } from '../app-types.js';
import { validationResponse, zodIssues } from '../errors.js';
import { errors, ok, security } from './schemas.js';

const decisionSchema = z
  .object({
    kind: z.enum(DECISION_KINDS),
    channel: z.string(),
    rule: z.string(),
    reason: z.string(),
    contactId: z.uuid(),
    leadId: z.uuid().optional(),
    dealId: z.uuid().optional(),
    conversationId: z.uuid(),
    messageId: z.uuid(),
    matches: z.array(
      z.object({ kind: z.string(), value: z.string(), contactId: z.uuid().nullable(), outcome: z.string() }),
    ),
    mergeSuggestionIds: z.array(z.uuid()),
  })
  .openapi('Decision');

const route = createRoute({
  method: 'post',
  path: '/api/v1/inbound',
  summary: 'Ingest one communication from any source and apply the lead rules',
  security,
  request: { body: { required: true, content: { 'application/json': { schema: inboundApiSchema } } } },
  responses: {
    200: ok('Stored and decided', z.object({ eventId: z.uuid(), decision: decisionSchema })),
    202: ok(
      'Stored, but processing failed; it is retried in the background',
      z.object({
        eventId: z.uuid(),
        status: z.enum(['failed', 'dead', 'busy']),
        error: z.string().optional(),
      }),
    ),
    ...errors,
  },
});

export function registerInbound(app: App, deps: AppDeps): void {
  app.openapi(
    route,
    async (c) => {
      const body = c.req.valid('json');
      // Persist the body exactly as received before anything else; only then try to decide.
      const eventId = await deps.intake.accept({
        source: 'api',
        account: body.account,
        ...(body.externalId ? { externalId: body.externalId } : {}),
        payload: await c.req.json(),
      });
      const outcome = await deps.intake.process(eventId);
      if (outcome.status === 'processed') {
        const decision = outcome.decisions[0]!;
        return c.json({ eventId, decision }, 200);
      }
      return c.json(
        { eventId, status: outcome.status, ...('error' in outcome ? { error: outcome.error } : {}) },
        202,
      );
    },
    // The hook's declared type cannot express "undefined on success"; it is awaited by zod-validator.
    (async (result: { success: boolean; error?: unknown }, c: Context) => {
      if (result.success || !(result.error instanceof ZodError)) return undefined;
      // A body that fails validation is still kept (status rejected) so nothing a client wrote is lost.
      const payload = await c.req.json().catch(() => undefined);
      if (payload !== undefined && payload !== null && typeof payload === 'object') {
        const issues = zodIssues(result.error);
        await deps.intake.reject({
          source: 'api',
          payload,
          reason: issues.map((i) => `${i.field}: ${i.message}`).join('; '),
        });
      }
      return validationResponse(c, result.error);
    }) as never,
  );
}
