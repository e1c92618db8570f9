import { createRoute, z } from '@hono/zod-openapi';
import { toCommunication } from '../../channels/api/normalize.js';
import { inboundApiSchema } from '../../channels/api/schema.js';
import { clientTypesObject, routingRulesSchema } from '../../config/routing.js';
import { strictObject } from '../../core/unknown-fields.js';
import { simulateCommunication, simulateRecentLeads, simulatorDeps } from '../../routing/simulate.js';
import { createTeamOverview } from '../../routing/team-overview.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security } from './schemas.js';

const teamsRoute = createRoute({
  method: 'get',
  path: '/api/v1/teams',
  operationId: 'listTeams',
  summary: 'Teams with members, hours, capacity, who is on shift now and the queue length',
  security,
  responses: { 200: ok('Teams', z.object({ teams: z.array(anyObject) })), ...errors },
});

const managersRoute = createRoute({
  method: 'get',
  path: '/api/v1/managers',
  operationId: 'listManagers',
  summary: 'Managers with contacts (PBX login, Telegram, email), teams, capacity and open leads',
  security,
  responses: { 200: ok('Managers', z.object({ managers: z.array(anyObject) })), ...errors },
});

const simulateBody = strictObject({
  communication: inboundApiSchema.optional().openapi({ description: 'Dry-run one communication.' }),
  days: z.number().int().min(1).max(90).optional().openapi({
    description: 'Replay the leads created in the last N days against the proposed rules.',
  }),
  limit: z.number().int().min(1).max(1000).default(200),
  rules: routingRulesSchema.optional().openapi({ description: 'Proposed routing rules (default: current).' }),
  clientTypes: clientTypesObject.optional(),
  fallbackTeam: z.string().min(1).max(64).optional(),
})
  .refine((b) => (b.communication === undefined) !== (b.days === undefined), {
    message: 'give exactly one of communication or days',
    path: ['communication'],
  })
  .openapi('RoutingSimulation');

const simulateRoute = createRoute({
  method: 'post',
  path: '/api/v1/routing/simulate',
  operationId: 'simulateRouting',
  summary:
    'What routing would do (one communication, or the last N days) under proposed rules; writes nothing',
  security,
  request: { body: { required: true, content: { 'application/json': { schema: simulateBody } } } },
  responses: { 200: ok('The simulated outcome'), ...errors },
});

/** Teams, managers and the routing simulator. */
export function registerRouting(app: App, deps: AppDeps): void {
  const overview = createTeamOverview(deps.config);
  const sim = simulatorDeps(deps);

  app.openapi(teamsRoute, async (c) => c.json({ teams: await overview.teams(deps.sql, deps.clock()) }, 200));

  app.openapi(managersRoute, async (c) => {
    const load = await overview.openLeads(deps.sql);
    const managers = deps.config.managers.map((m) => ({
      login: m.login,
      name: m.name,
      email: m.email ?? null,
      pbxLogin: m.pbxLogin ?? null,
      telegramChatId: m.telegramChatId ?? null,
      active: m.active,
      capacity: m.capacity ?? null,
      teams: deps.config.teams.filter((t) => t.members.includes(m.login)).map((t) => t.id),
      supervises: deps.config.teams.filter((t) => t.supervisor === m.login).map((t) => t.id),
      openLeads: load.get(m.login) ?? 0,
    }));
    return c.json({ managers }, 200);
  });

  app.openapi(simulateRoute, async (c) => {
    const body = c.req.valid('json');
    const proposal = {
      ...(body.rules ? { rules: body.rules } : {}),
      ...(body.clientTypes ? { clientTypes: body.clientTypes } : {}),
      ...(body.fallbackTeam ? { fallbackTeam: body.fallbackTeam } : {}),
    };
    const result = body.communication
      ? await simulateCommunication(sim, toCommunication(body.communication), proposal)
      : await simulateRecentLeads(sim, body.days!, body.limit, proposal);
    return c.json(result as never, 200);
  });
}
