import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.js';
import { strictObject } from '../../core/unknown-fields.js';
import { getCall, listCalls } from '../../telephony/call-store.js';
import { clickToCall } from '../../telephony/click-to-call.js';
import { importPbxUsers } from '../../telephony/pbx-users.js';
import { recordingResponse } from '../../telephony/recording-response.js';
import type { Telephony } from '../../telephony/telephony.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const listQuery = z.object({
  live: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: 'true: only calls ringing or in conversation now' }),
  agent: z.string().max(64).optional().openapi({ description: 'A manager login' }),
  numberHidden: z.enum(['true', 'false']).optional().openapi({
    description: 'true: only calls from hidden numbers (no contact, no lead); false: the others',
  }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const list = createRoute({
  method: 'get',
  path: '/api/v1/calls',
  operationId: 'listCalls',
  summary: 'Calls with their legs (who is ringing, who answered), most recently changed first',
  security,
  request: { query: listQuery },
  responses: { 200: ok('Calls', z.object({ calls: z.array(anyObject) })), ...errors },
});

const one = createRoute({
  method: 'get',
  path: '/api/v1/calls/{id}',
  operationId: 'getCall',
  summary: 'A call with its legs, outcome, lead/deal and recording status',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('The call'), ...errors },
});

const recording = createRoute({
  method: 'get',
  path: '/api/v1/calls/{id}/recording',
  operationId: 'getCallRecording',
  summary: 'The recording file copied from the PBX',
  security,
  request: { params: uuidParam },
  responses: {
    200: { description: 'The audio file', content: { 'audio/mpeg': { schema: z.string() } } },
    ...errors,
  },
});

const makeCallBody = strictObject({
  manager: z.string().min(1).max(64).openapi({ description: 'The manager login; the PBX rings them first' }),
  phone: z.string().min(1).max(100).openapi({ description: "The client's number, any format" }),
  account: z.string().max(64).optional().openapi({ description: 'The MegaFon account; needed when several' }),
}).openapi('MakeCall');

const makeCall = createRoute({
  method: 'post',
  path: '/api/v1/calls',
  operationId: 'makeCall',
  summary: "Click-to-call: the PBX rings the manager's phone, then connects the client",
  security,
  request: { body: { required: true, content: { 'application/json': { schema: makeCallBody } } } },
  responses: {
    200: ok(
      'The PBX accepted the call',
      z.object({
        account: z.string(),
        pbxUser: z.string(),
        callId: z.string().nullable(),
        api: z.enum(['rest', 'legacy']),
      }),
    ),
    502: ok('The PBX refused or could not be reached'),
    ...errors,
  },
});

const importUsers = createRoute({
  method: 'post',
  path: '/api/v1/telephony/megafon/{account}/users/import',
  operationId: 'importMegafonUsers',
  summary: 'Import the PBX users and map their logins to managers (config pbxLogin, e-mail, login)',
  security,
  request: {
    params: z.object({
      account: z
        .string()
        .min(1)
        .max(64)
        .openapi({ param: { name: 'account', in: 'path' } }),
    }),
  },
  responses: { 200: ok('What was imported and matched'), 502: ok('The PBX failed'), ...errors },
});

/** The /api/v1 call endpoints (the PBX webhooks are the PBX channels' own, mounted with every channel's). */
export function registerTelephony(app: App, deps: AppDeps & { telephony: Telephony }): void {
  const tel = deps.telephony;

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const calls = await listCalls(deps.sql, {
      limit: q.limit,
      ...(q.live === 'true' ? { live: true } : {}),
      ...(q.agent ? { agent: q.agent } : {}),
      ...(q.numberHidden ? { numberHidden: q.numberHidden === 'true' } : {}),
    });
    return c.json({ calls }, 200);
  });

  app.openapi(one, async (c) => {
    const call = await getCall(deps.sql, c.req.valid('param').id);
    if (!call) throw new NotFoundError('call');
    return c.json(call, 200);
  });

  app.openapi(
    recording,
    async (c) => (await recordingResponse(deps.sql, tel.recordingsDir, c.req.valid('param').id)) as never,
  );

  app.openapi(makeCall, async (c) =>
    c.json(await clickToCall({ ...deps, telephony: tel }, c.req.valid('json')), 200),
  );

  app.openapi(importUsers, async (c) => {
    const accountId = c.req.valid('param').account;
    const account = tel.megafon.get(accountId);
    if (!account) throw new NotFoundError(`MegaFon account "${accountId}"`);
    const users = await account.client.listUsers();
    const report = await deps.sql.begin((tx) =>
      importPbxUsers(
        tx,
        { provider: 'megafon', account: accountId, users, now: deps.clock() },
        deps.config.managers,
      ),
    );
    await tel.reloadDirectory();
    return c.json(report, 200);
  });
}
