import { createRoute, z } from '@hono/zod-openapi';
import { strictObject } from '../../core/unknown-fields.js';
import { listSuggestions, resolveSuggestion } from '../../crm/resolve-suggestion.js';
import { recentMerges, undoMerge } from '../../crm/undo-merge.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const list = createRoute({
  method: 'get',
  path: '/api/v1/merge-suggestions',
  operationId: 'listMergeSuggestions',
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
  operationId: 'resolveMergeSuggestion',
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

const merges = createRoute({
  method: 'get',
  path: '/api/v1/contact-merges',
  operationId: 'listContactMerges',
  summary: 'Merges people made, newest first, with whether they were undone',
  security,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: { 200: ok('Merges', z.object({ merges: z.array(anyObject) })), ...errors },
});

const undo = createRoute({
  method: 'post',
  path: '/api/v1/contact-merges/{id}/undo',
  operationId: 'undoContactMerge',
  summary: 'Undo a merge: both contacts as they were, with their identities, conversations, leads and deals',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('Undone'), ...errors },
});

export function registerMergeSuggestions(app: App, deps: AppDeps): void {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const suggestions = await listSuggestions(deps.sql, q.status, q.limit);
    return c.json({ suggestions }, 200);
  });

  app.openapi(resolve, async (c) => {
    const result = await resolveSuggestion(deps.sql, c.req.valid('param').id, c.req.valid('json'), {
      actor: c.get('actor'),
      clock: deps.clock,
      ...(deps.outbox ? { outbox: deps.outbox.writer } : {}),
    });
    deps.outbox?.worker.kick();
    return c.json(result, 200);
  });

  app.openapi(merges, async (c) =>
    c.json({ merges: await recentMerges(deps.sql, c.req.valid('query').limit) }, 200),
  );

  app.openapi(undo, async (c) => {
    const result = await undoMerge(deps.sql, c.req.valid('param').id, {
      actor: c.get('actor'),
      clock: deps.clock,
    });
    return c.json(result, 200);
  });
}
