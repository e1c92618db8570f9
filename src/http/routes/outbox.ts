import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.js';
import type { Outbox } from '../../crm/outbox/index.js';
import { listOutbox, retryRow } from '../../crm/outbox/store.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const listRoute = createRoute({
  method: 'get',
  path: '/api/v1/outbox',
  operationId: 'listOutbox',
  summary: 'What Switchboard sends to other systems (webhooks, Bitrix24), newest first',
  description:
    'status failed: given up after retries or refused by the receiver (lastError says why): the dead letters to retry.',
  security,
  request: {
    query: z.object({
      status: z.enum(['pending', 'sending', 'delivered', 'failed']).optional(),
      subscriber: z.string().max(300).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: ok('Outbox rows', z.object({ items: z.array(anyObject) })), ...errors },
});

const retryRoute = createRoute({
  method: 'post',
  path: '/api/v1/outbox/{id}/retry',
  operationId: 'retryOutboxRow',
  summary: 'Replay a failed (dead-lettered) outbox row: it goes back to the head of its subscriber’s queue',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('The row, pending again'), ...errors },
});

/** The outbox's dead letters and their replay. */
export function registerOutbox(app: App, deps: AppDeps & { outbox: Outbox }): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    return c.json({ items: await listOutbox(deps.sql, q) }, 200);
  });
  app.openapi(retryRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await retryRow(deps.sql, id, deps.clock());
    if (!row) {
      const [exists] = await deps.sql<{ status: string }[]>`SELECT status FROM outbox WHERE id = ${id}`;
      if (!exists) throw new NotFoundError('outbox row');
      return c.json(exists, 200);
    }
    deps.outbox.worker.kick();
    return c.json(row, 200);
  });
}
