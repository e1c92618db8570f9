import { createRoute, z } from '@hono/zod-openapi';
import { CHANNEL_EVENTS_WINDOW_MS, listChannelAccounts } from '../../channels/accounts.js';
import type { ChannelDefinition } from '../../channels/channel.js';
import { connectAccount } from '../../channels/connect.js';
import { CHANNELS } from '../../channels/index.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { searchAudit } from '../../db/repos/audit.js';
import { inboundEventDetail } from '../../db/repos/read-models.js';
import { GeoDataError } from '../../geo/errors.js';
import { NUMBERING_PLAN_FILES } from '../../geo/numbering-plan.js';
import type { NumberingPlanService } from '../../geo/numbering-plan-service.js';
import { NotARegistryFileError } from '../../geo/update.js';
import { RETRYABLE_STATUSES, retryInboundEvents } from '../../ingest/retry.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const channelParams = z.object({
  channel: z.string().min(1).max(64),
  account: z.string().min(1).max(200),
});

const listChannelsRoute = createRoute({
  method: 'get',
  path: '/api/v1/channels',
  operationId: 'listChannelAccounts',
  summary:
    'Every channel account: state, last event and last error (from the transports and the last 30 days of stored events), webhook URL, whether it can be connected',
  security,
  responses: { 200: ok('Channel accounts', z.object({ accounts: z.array(anyObject) })), ...errors },
});

const connectRoute = createRoute({
  method: 'post',
  path: '/api/v1/channels/{channel}/{account}/connect',
  operationId: 'connectChannelAccount',
  summary:
    'Register the account’s webhook with its provider (what `npm run channels:connect` does) and return the provider’s answer',
  security,
  request: { params: channelParams },
  responses: {
    200: ok('What the provider answered', z.object({ ok: z.boolean(), lines: z.array(z.string()) })),
    ...errors,
  },
});

const planRoute = createRoute({
  method: 'get',
  path: '/api/v1/numbering-plan',
  operationId: 'getNumberingPlan',
  summary: 'The numbering plan in use: state, files, rows, ranges, dates and where it is read from',
  security,
  responses: { 200: ok('Numbering plan state'), ...errors },
});

const reloadRoute = createRoute({
  method: 'post',
  path: '/api/v1/numbering-plan/reload',
  operationId: 'reloadNumberingPlan',
  summary:
    'Re-read the numbering plan files from the configured directory (a broken file keeps the index in use)',
  security,
  responses: { 200: ok('Numbering plan state'), ...errors },
});

const fileParam = z.object({
  file: z.enum(NUMBERING_PLAN_FILES).openapi({ param: { name: 'file', in: 'path' } }),
});

const uploadRoute = createRoute({
  method: 'put',
  path: '/api/v1/numbering-plan/files/{file}',
  operationId: 'uploadNumberingPlanFile',
  summary:
    'Install one registry file (the CSV as published, body up to 64 MB): validated row by row, then the index is reloaded',
  security,
  request: {
    params: fileParam,
    body: { required: true, content: { 'text/csv': { schema: z.string() } } },
  },
  responses: { 200: ok('The installed file and the new state'), ...errors },
});

const auditRoute = createRoute({
  method: 'get',
  path: '/api/v1/audit',
  operationId: 'listAuditLog',
  summary: 'The audit trail, newest first, filtered by period, entity (lead/contact id), actor and action',
  security,
  request: {
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      entityId: z.uuid().optional(),
      actor: z.string().min(1).max(200).optional(),
      action: z.string().min(1).max(100).optional().openapi({
        description: 'An action (`lead.updated`) or a prefix ending in a dot (`decision.`)',
      }),
      before: z
        .string()
        .regex(/^\d{1,19}$/)
        .optional()
        .openapi({ description: 'Cursor: the `nextBefore` of the previous page' }),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: ok('Audit rows', z.object({ items: z.array(anyObject), nextBefore: z.string().nullable() })),
    ...errors,
  },
});

const eventRoute = createRoute({
  method: 'get',
  path: '/api/v1/inbound-events/{id}',
  operationId: 'getInboundEvent',
  summary: 'One stored event with its decoded payload (may hold a client’s message: administrators only)',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('The event'), ...errors },
});

const retryAllBody = z.object({
  statuses: z.array(z.enum(RETRYABLE_STATUSES)).min(1).default(['failed', 'dead']),
  limit: z.number().int().min(1).max(5000).default(500),
});

const retryAllRoute = createRoute({
  method: 'post',
  path: '/api/v1/inbound-events/retry',
  operationId: 'retryInboundEvents',
  summary: 'Retry every failed and dead event now (oldest first, up to `limit`); rejected ones on request',
  security,
  request: {
    body: {
      required: false,
      content: {
        'application/json': {
          schema: retryAllBody,
        },
      },
    },
  },
  responses: { 200: ok('How the retried events ended'), ...errors },
});

/** The numbering plan's state as the API and the admin page show it. */
export function numberingPlanView(plan: NumberingPlanService) {
  return { ...plan.status(), source: plan.source() };
}

/** A registry file that failed validation, as a 400 naming the file and the line. */
export function planFileError(err: unknown): never {
  if (err instanceof NotARegistryFileError || err instanceof GeoDataError)
    throw new ValidationError(err.message, [{ field: 'file', message: err.message }]);
  throw err;
}

/**
 * The administrator's API: channel accounts and their registration, the numbering plan, the audit trail,
 * failed events. Bearer-token callers only, like all of /api/v1; the web pages on top of it are for admins.
 */
export function registerAdmin(
  app: App,
  deps: AppDeps & { definitions?: readonly ChannelDefinition[] },
): void {
  const definitions = deps.definitions ?? CHANNELS;
  const plan = () => {
    if (!deps.numberingPlan) throw new NotFoundError('numbering plan service');
    return deps.numberingPlan;
  };

  app.openapi(listChannelsRoute, async (c) => {
    const accounts = await listChannelAccounts({
      sql: deps.sql,
      channels: deps.channels,
      definitions,
      publicUrl: deps.config.server.publicUrl,
      since: new Date(deps.clock().getTime() - CHANNEL_EVENTS_WINDOW_MS),
    });
    return c.json({ accounts }, 200);
  });

  app.openapi(connectRoute, async (c) => {
    const { channel, account } = c.req.valid('param');
    if (!deps.channels.some((m) => m.name === channel)) throw new NotFoundError('channel');
    const report = await connectAccount({
      definitions,
      modules: deps.channels,
      config: deps.config,
      channel,
      account,
    });
    deps.log.info({ channel, account, ok: report.ok, actor: c.get('actor') }, 'channel connect');
    return c.json(report, 200);
  });

  app.openapi(planRoute, (c) => c.json(numberingPlanView(plan()), 200));

  app.openapi(reloadRoute, async (c) => {
    await plan().load();
    return c.json(numberingPlanView(plan()), 200);
  });

  app.openapi(uploadRoute, async (c) => {
    const { file } = c.req.valid('param');
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength === 0) throw new ValidationError('the body is empty: send the CSV file');
    const installed = await plan().install(file, bytes).catch(planFileError);
    deps.log.info({ file, rows: installed.rows, actor: c.get('actor') }, 'numbering plan file installed');
    return c.json({ installed, ...numberingPlanView(plan()) }, 200);
  });

  app.openapi(auditRoute, async (c) => {
    const q = c.req.valid('query');
    const items = await searchAudit(deps.sql, {
      ...(q.from ? { from: new Date(q.from) } : {}),
      ...(q.to ? { to: new Date(q.to) } : {}),
      ...(q.entityId ? { entityId: q.entityId } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.before ? { beforeId: q.before } : {}),
      limit: q.limit,
    });
    const nextBefore = items.length === q.limit ? items[items.length - 1]!.id : null;
    return c.json({ items, nextBefore }, 200);
  });

  app.openapi(eventRoute, async (c) => {
    const event = await inboundEventDetail(deps.sql, c.req.valid('param').id);
    if (!event) throw new NotFoundError('inbound event');
    return c.json(event as never, 200);
  });

  app.openapi(retryAllRoute, async (c) => {
    // The body is optional: without one (no content type) the validator hands over {}, so defaults apply here.
    const body = retryAllBody.parse(c.req.valid('json') ?? {});
    return c.json(
      await retryInboundEvents(
        { sql: deps.sql, processor: deps.processor },
        body.statuses,
        c.get('actor'),
        body.limit,
      ),
      200,
    );
  });
}
