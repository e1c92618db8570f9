import { createRoute, z } from '@hono/zod-openapi';
import { inboundApiSchema } from '../../channels/api/schema.js';
import { DECISION_KINDS } from '../../core/communication.js';
import { parseStorableJson } from '../../core/safe-json.js';
import type { App, AppDeps } from '../app-types.js';
import { errorBody, zodIssues } from '../errors.js';
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
  operationId: 'ingestCommunication',
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

/**
 * POST /api/v1/inbound reads its own body: the bytes exactly as received are stored before anything is
 * answered, whatever their shape — a body that is not JSON (a browser's sendBeacon sends text/plain), is
 * truncated, nested absurdly deep, or fails the schema is kept as `rejected` with the reason, and can be
 * retried after a fix. NUL and broken surrogates are stripped from the derived JSON only, never from the raw.
 */
export function registerInbound(app: App, deps: AppDeps): void {
  // Documented from the zod schema; validated by hand below so that nothing is lost before it is stored.
  app.openAPIRegistry.registerPath(route);
  app.post(route.path.replace(/{(\w+)}/g, ':$1'), async (c) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const contentType = c.req.header('content-type') ?? '';
    const parsed = parseStorableJson(raw);
    const base = { source: 'api', raw, contentType: contentType || 'application/octet-stream' };
    if (!parsed.ok) {
      const eventId = await deps.intake.reject({ ...base, reason: parsed.reason });
      // JSON that is broken is a 400; a body of another declared type that is not JSON either, a 415.
      const sentAsJson = contentType === '' || /json/i.test(contentType);
      return sentAsJson
        ? c.json(errorBody('invalid_json', parsed.reason, { details: { eventId } }), 400)
        : c.json(
            errorBody('unsupported_media_type', `Content-Type must be application/json (${parsed.reason})`, {
              details: { eventId },
            }),
            415,
          );
    }
    const body = inboundApiSchema.safeParse(parsed.value);
    if (!body.success) {
      const issues = zodIssues(body.error);
      const eventId = await deps.intake.reject({
        ...base,
        payload: parsed.value,
        reason: issues.map((i) => `${i.field}: ${i.message}`).join('; '),
      });
      const first = issues[0];
      return c.json(
        errorBody(
          'validation_failed',
          first ? `${first.field || '(body)'}: ${first.message}` : 'invalid request',
          {
            issues,
            details: { eventId },
          },
        ),
        400,
      );
    }
    // Stored by its decision's transaction (one commit for both); answered only after that commit.
    const { eventId, outcome } = await deps.intake.acceptAndProcess({
      ...base,
      account: body.data.account,
      ...(body.data.externalId ? { externalId: body.data.externalId } : {}),
      payload: parsed.value,
    });
    if (outcome.status === 'processed') return c.json({ eventId, decision: outcome.decisions[0]! }, 200);
    return c.json(
      { eventId, status: outcome.status, ...('error' in outcome ? { error: outcome.error } : {}) },
      202,
    );
  });
}
