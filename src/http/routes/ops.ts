import { createRoute, z } from '@hono/zod-openapi';
import { errorMessage, NotFoundError } from '../../core/errors.js';
import { outboxCounts } from '../../crm/outbox/store.js';
import { inboundEvents } from '../../db/repos/read-models.js';
import { retryInboundEvent } from '../../ingest/retry.js';
import type { App, AppDeps } from '../app-types.js';
import { tokenNames } from '../auth.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const eventsRoute = createRoute({
  method: 'get',
  path: '/api/v1/inbound-events',
  operationId: 'listInboundEvents',
  summary: 'Stored inbound payloads by status (failed, dead and rejected ones are the ones to look at)',
  security,
  request: {
    query: z.object({
      status: z.enum(['received', 'processed', 'failed', 'dead', 'rejected']).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: ok('Events (metadata only)', z.object({ events: z.array(anyObject) })), ...errors },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/api/v1/inbound-events/{id}/retry',
  operationId: 'retryInboundEvent',
  summary:
    'Retry a failed, dead or rejected event now (after a fix): it is normalized again with the current code',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('Processing outcome'), ...errors },
});

const channelRoute = createRoute({
  method: 'get',
  path: '/api/v1/channels/{channel}/{account}',
  operationId: 'getChannelAccount',
  summary:
    "One channel account's transport status, with what only an administrator may see (a WhatsApp pairing QR code)",
  security,
  request: { params: z.object({ channel: z.string().min(1), account: z.string().min(1) }) },
  responses: { 200: ok('Account status', anyObject), ...errors },
});

/** Liveness, readiness, metrics (no auth: they carry no personal data; readiness details need a token) and dead-letter handling (auth). */
export function registerOps(app: App, deps: AppDeps): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  const tokenName = tokenNames(deps.tokens);
  // Anyone may ask whether the daemon is ready; what is wrong in detail (the database's error text names its host
  // and port, mailboxes their servers) is for authenticated callers only.
  app.get('/readyz', async (c) => {
    const accepting = deps.isAccepting();
    let databaseError: string | undefined;
    try {
      await Promise.race([
        deps.sql`SELECT 1`,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('database ping timed out')), 2000).unref(),
        ),
      ]);
    } catch (err) {
      databaseError = errorMessage(err);
    }
    const degraded = deps.degraded?.() ?? {};
    const ready = accepting && databaseError === undefined;
    const status = !ready ? 'not_ready' : Object.keys(degraded).length > 0 ? 'degraded' : 'ready';
    const body: Record<string, unknown> = {
      status,
      database: databaseError === undefined ? 'ok' : 'unavailable',
      ...(Object.keys(degraded).length > 0 ? { degraded } : {}),
    };
    if (tokenName(c.req.header('authorization'))) {
      Object.assign(body, deps.readinessDetails?.() ?? {});
      for (const channel of deps.channels)
        if (channel.transport) body[channel.name] = channel.transport.status();
      if (!accepting) body.state = 'not accepting (starting or stopping)';
      if (databaseError !== undefined) body.databaseError = databaseError;
      // Failures to deliver are visible here, not a reason to stop taking traffic.
      else if (deps.outbox) body.outbox = await outboxCounts(deps.sql);
    }
    return c.json(body, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  app.openapi(eventsRoute, async (c) => {
    const q = c.req.valid('query');
    return c.json({ events: await inboundEvents(deps.sql, q.status, q.limit) }, 200);
  });

  app.openapi(channelRoute, async (c) => {
    const { channel, account } = c.req.valid('param');
    const transport = deps.channels.find((ch) => ch.name === channel)?.transport;
    const detail = transport?.detail?.(account) ?? (transport?.status()[account] as object | undefined);
    if (!detail) throw new NotFoundError('channel account');
    return c.json({ channel, account, ...detail }, 200);
  });

  app.openapi(retryRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await retryInboundEvent(deps, id, c.get('actor')), 200);
  });
}
