import { createRoute, z } from '@hono/zod-openapi';
import { mediaResponse } from '../../channels/messenger/media-response.js';
import { NotFoundError } from '../../core/errors.js';
import { messageMedia, storedMedia } from '../../db/repos/message-media.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const list = createRoute({
  method: 'get',
  path: '/api/v1/messages/{id}/media',
  operationId: 'listMessageMedia',
  summary:
    "A message's attachments copied from the messenger: status (pending, stored, expired, too_large, failed)",
  security,
  request: { params: uuidParam },
  responses: { 200: ok('The attachments, in order', z.object({ media: z.array(anyObject) })), ...errors },
});

const file = createRoute({
  method: 'get',
  path: '/api/v1/media/{id}',
  operationId: 'getMedia',
  summary: 'A stored attachment file, with its Content-Type',
  security,
  request: { params: uuidParam },
  responses: {
    200: { description: 'The file', content: { 'application/octet-stream': { schema: z.string() } } },
    ...errors,
  },
});

/** Messenger attachments for API clients (a token sees every contact): docs/messengers.md#attachments. */
export function registerMedia(app: App, deps: AppDeps): void {
  app.openapi(list, async (c) => {
    const id = c.req.valid('param').id;
    const exists = await deps.sql`SELECT 1 FROM messages WHERE id = ${id}`;
    if (exists.length === 0) throw new NotFoundError('message');
    const media = (await messageMedia(deps.sql, [id])).get(id) ?? [];
    // The web app's link needs a session; an API client fetches the file here.
    return c.json(
      { media: media.map((m) => ({ ...m, href: m.href ? `/api/v1/media/${m.id}` : null })) },
      200,
    );
  });
  app.openapi(file, async (c) => {
    const stored = await storedMedia(deps.sql, c.req.valid('param').id);
    if (!stored) throw new NotFoundError('media');
    return mediaResponse(stored) as never;
  });
}
