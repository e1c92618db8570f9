import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { calendarsFromConfig } from '../../sla/calendar.js';
import { listNotifications, markRead } from '../../sla/inbox.js';
import { resolvePolicies } from '../../sla/policy.js';
import { ALERT_STATUSES, type AlertStatus, listAlerts } from '../../sla/store.js';
import { slaSummary } from '../../sla/summary.js';
import type { App, AppDeps } from '../app-types.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const page = {
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor from the previous page' }),
};

const alertsRoute = createRoute({
  method: 'get',
  path: '/api/v1/alerts',
  operationId: 'listAlerts',
  summary: 'SLA alert deliveries (one per lead, step, repeat, recipient and channel), newest first',
  description:
    'status failed: given up after retries or unreachable (the error says why); cancelled: the lead was handled before sending.',
  security,
  request: {
    query: z.object({
      team: z.string().max(64).optional(),
      status: z.enum(ALERT_STATUSES as [AlertStatus, ...AlertStatus[]]).optional(),
      leadId: z.uuid().optional(),
      since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'due at or after' }),
      until: z.iso.datetime({ offset: true }).optional().openapi({ description: 'due before' }),
      ...page,
    }),
  },
  responses: {
    200: ok('A page of alerts', z.object({ alerts: z.array(anyObject), nextCursor: z.string().nullable() })),
    ...errors,
  },
});

const summaryRoute = createRoute({
  method: 'get',
  path: '/api/v1/sla/summary',
  operationId: 'getSlaSummary',
  summary: 'Open new leads by age, overdue ones and breaches today, overall, by team and by manager',
  security,
  responses: { 200: ok('The summary'), ...errors },
});

const notificationsRoute = createRoute({
  method: 'get',
  path: '/api/v1/notifications',
  operationId: 'listNotifications',
  summary: "A person's in-app notifications (the web inbox), newest first",
  security,
  request: {
    query: z.object({
      recipient: z.string().min(1).max(64).openapi({ description: 'manager login' }),
      unread: z.enum(['true', 'false']).optional(),
      ...page,
    }),
  },
  responses: {
    200: ok(
      'A page of notifications',
      z.object({ notifications: z.array(anyObject), nextCursor: z.string().nullable() }),
    ),
    ...errors,
  },
});

const readRoute = createRoute({
  method: 'post',
  path: '/api/v1/notifications/{id}/read',
  operationId: 'markNotificationRead',
  summary: 'Mark a notification read (idempotent)',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('Marked read'), ...errors },
});

function cursorOf(cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  const before = decodeCursor(cursor);
  if (!before) throw new ValidationError('cursor: invalid', [{ field: 'cursor', message: 'invalid' }]);
  return before;
}

function nextCursor<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): string | null {
  const last = rows.at(-1);
  return rows.length === limit && last ? encodeCursor(last.createdAt, last.id) : null;
}

/** SLA alerts, the SLA summary and in-app notifications. */
export function registerSla(app: App, deps: AppDeps): void {
  const policies = resolvePolicies(deps.config);
  const calendars = calendarsFromConfig(deps.config);

  app.openapi(alertsRoute, async (c) => {
    const q = c.req.valid('query');
    const before = cursorOf(q.cursor);
    const alerts = await listAlerts(deps.sql, {
      limit: q.limit,
      ...(q.team ? { team: q.team } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.leadId ? { leadId: q.leadId } : {}),
      ...(q.since ? { since: new Date(q.since) } : {}),
      ...(q.until ? { until: new Date(q.until) } : {}),
      ...(before ? { before } : {}),
    });
    return c.json({ alerts, nextCursor: nextCursor(alerts, q.limit) }, 200);
  });

  app.openapi(summaryRoute, async (c) => {
    const summary = await slaSummary(deps.sql, {
      now: deps.clock(),
      timeZone: deps.config.sla.timeZone,
      policies,
      calendars,
    });
    return c.json(summary, 200);
  });

  app.openapi(notificationsRoute, async (c) => {
    const q = c.req.valid('query');
    const before = cursorOf(q.cursor);
    const notifications = await listNotifications(deps.sql, {
      recipient: q.recipient,
      unreadOnly: q.unread === 'true',
      limit: q.limit,
      ...(before ? { before } : {}),
    });
    return c.json({ notifications, nextCursor: nextCursor(notifications, q.limit) }, 200);
  });

  app.openapi(readRoute, async (c) => {
    const { id } = c.req.valid('param');
    const [done] = await markRead(deps.sql, [id], deps.clock());
    if (!done) throw new NotFoundError('notification');
    return c.json({ id, read: true }, 200);
  });
}
