import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { patchLead } from '../../crm/lead-updates.js';
import { leadPatchSchema } from '../../crm/schemas.js';
import { auditTrail } from '../../db/repos/audit.js';
import { getContact } from '../../db/repos/contacts.js';
import { getLead } from '../../db/repos/leads.js';
import { leadMessages, listLeads } from '../../db/repos/read-models.js';
import type { App, AppDeps } from '../app-types.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const listQuery = z.object({
  status: z.enum(['new', 'in_progress', 'converted', 'junk']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  team: z.string().max(64).optional(),
  responsible: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor from the previous page' }),
});

const list = createRoute({
  method: 'get',
  path: '/api/v1/leads',
  operationId: 'listLeads',
  summary: 'Leads, newest first, with keyset pagination',
  security,
  request: { query: listQuery },
  responses: {
    200: ok('A page of leads', z.object({ leads: z.array(anyObject), nextCursor: z.string().nullable() })),
    ...errors,
  },
});

const one = createRoute({
  method: 'get',
  path: '/api/v1/leads/{id}',
  operationId: 'getLead',
  summary: 'A lead with its contact, messages, routing trace and decision trail',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('The lead'), ...errors },
});

const patch = createRoute({
  method: 'patch',
  path: '/api/v1/leads/{id}',
  operationId: 'updateLead',
  summary: 'Take a lead into work, convert or junk it, reassign it',
  security,
  request: {
    params: uuidParam,
    body: { required: true, content: { 'application/json': { schema: leadPatchSchema } } },
  },
  responses: { 200: ok('The updated lead'), ...errors },
});

export function registerLeads(app: App, deps: AppDeps): void {
  const managers = new Set(deps.config.managers.map((m) => m.login));

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const before = q.cursor ? decodeCursor(q.cursor) : undefined;
    if (q.cursor && !before)
      throw new ValidationError('cursor: invalid', [{ field: 'cursor', message: 'invalid' }]);
    const leads = await listLeads(deps.sql, {
      limit: q.limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.since ? { since: new Date(q.since) } : {}),
      ...(q.team ? { team: q.team } : {}),
      ...(q.responsible ? { responsible: q.responsible } : {}),
      ...(before ? { before } : {}),
    });
    const last = leads.at(-1);
    const nextCursor = leads.length === q.limit && last ? encodeCursor(last.createdAt, last.id) : null;
    return c.json({ leads, nextCursor }, 200);
  });

  app.openapi(one, async (c) => {
    const { id } = c.req.valid('param');
    const lead = await getLead(deps.sql, id);
    if (!lead) throw new NotFoundError('lead');
    const [contact, messages, trail] = await Promise.all([
      getContact(deps.sql, lead.contactId),
      leadMessages(deps.sql, id),
      auditTrail(deps.sql, 'lead', id),
    ]);
    return c.json({ ...lead, contact, messages, trail }, 200);
  });

  app.openapi(patch, async (c) => {
    const { id } = c.req.valid('param');
    const lead = await patchLead(deps.sql, id, c.req.valid('json'), {
      actor: c.get('actor'),
      clock: deps.clock,
      managers,
      ...(deps.outbox ? { outbox: deps.outbox.writer } : {}),
    });
    deps.outbox?.worker.kick();
    return c.json(lead, 200);
  });
}
