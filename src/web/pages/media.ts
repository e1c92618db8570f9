import type { Hono } from 'hono';
import { mediaResponse } from '../../channels/messenger/media-response.js';
import type { WebDeps, WebEnv } from '../context.js';
import { mediaFor } from '../services/media.js';
import { HttpPageError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A messenger attachment's stored copy (photo, file, voice), for people who may see the message's contact. */
export function registerMedia(web: Hono<WebEnv>, deps: WebDeps): void {
  web.get('/media/:id{[0-9a-f-]{36}}', async (c) => {
    const id = c.req.param('id');
    if (!UUID.test(id)) throw new HttpPageError(404);
    const access = await mediaFor(deps.sql, c.get('user'), id);
    if (!access.ok) throw new HttpPageError(access.reason === 'forbidden' ? 403 : 404);
    return mediaResponse(access.file);
  });
}
