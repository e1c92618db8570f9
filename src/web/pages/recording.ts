import type { Hono } from 'hono';
import { recordingResponse } from '../../telephony/recording-response.js';
import type { WebDeps, WebEnv } from '../context.js';
import { callLeadFor } from '../services/lead-view.js';
import { HttpPageError } from './errors.js';

/** A call recording for the lead page's player, for people who may see the call's lead. */
export function registerRecording(web: Hono<WebEnv>, deps: WebDeps): void {
  web.get('/calls/:id{[0-9a-f-]{36}}/recording', async (c) => {
    const access = await callLeadFor(deps.sql, c.get('user'), c.req.param('id'));
    if (!access.ok) throw new HttpPageError(access.reason === 'forbidden' ? 403 : 404);
    return recordingResponse(deps.sql, deps.telephony?.recordingsDir, c.req.param('id'));
  });
}
