import { createRoute, z } from '@hono/zod-openapi';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import { strictObject } from '../../core/unknown-fields.js';
import { mergeContacts } from '../../crm/merge-contacts.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const list = createRoute({
  method: 'get',
  path: '/api/v1/merge-suggestions',
  summary: 'Pairs of contacts that share an identity: candidates for a merge a person decides on',
  security,
  request: {
    query: z.object({
      status: z.enum(['open', 'merged', 'dismissed']).default('open'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: ok('Suggestions', z.object({ suggestions: z.array(anyObject) })), ...errors },
});

const resolve = createRoute({
  method: 'post',
  path: '/api/v1/merge-suggestions/{id}/resolve',
  summary: 'Merge the two contacts (into the one named by keep) or dismiss the suggestion',
  security,
  request: {
    params: uuidParam,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: strictObject({
            action: z.enum(['merge', 'dismiss']),
            keep: z.enum(['contact', 'other']).default('contact'),
          }),
        },
      },
    },
  },
  responses: { 200: ok('Resolved'), ...errors },
});

export function registerMergeSuggestions(app: App, deps: AppDeps): void {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const suggestions = await deps.sql`
      SELECT id, contact_id, other_contact_id, identity_kind, identity_value, reason, status, created_at
      FROM merge_suggestions WHERE status = ${q.status} ORDER BY created_at DESC LIMIT ${q.limit}`;
    return c.json({ suggestions }, 200);
  });

  app.openapi(resolve, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const [s] = await deps.sql<{ contactId: string; otherContactId: string; status: string }[]>`
      SELECT contact_id, other_contact_id, status FROM merge_suggestions WHERE id = ${id}`;
    if (!s) throw new NotFoundError('merge suggestion');
    if (s.status !== 'open') throw new ConflictError(`suggestion is already ${s.status}`);
    if (body.action === 'dismiss') {
      await deps.sql`UPDATE merge_suggestions SET status = 'dismissed' WHERE id = ${id}`;
      return c.json({ id, status: 'dismissed' }, 200);
    }
    const [targetId, sourceId] =
      body.keep === 'contact' ? [s.contactId, s.otherContactId] : [s.otherContactId, s.contactId];
    const result = await mergeContacts(deps.sql, {
      targetId,
      sourceId,
      actor: c.get('actor'),
      clock: deps.clock,
      suggestionId: id,
      ...(deps.outbox ? { outbox: deps.outbox.writer } : {}),
    });
    deps.outbox?.worker.kick();
    return c.json({ id, status: 'merged', ...result }, 200);
  });
}
