import { OpenAPIHono } from '@hono/zod-openapi';
import { registerWeb } from '../web/index.js';
import { accessLog } from './access-log.js';
import type { App, AppDeps, AppEnv } from './app-types.js';
import { bearerAuth } from './auth.js';
import { limitBody } from './body-limit.js';
import { createErrorHandler, errorBody, validationResponse } from './errors.js';
import { storableJsonBody } from './json-body.js';
import { documentOperationsAndWebhooks } from './openapi-docs.js';
import { registerAdmin } from './routes/admin.js';
import { analyticsSession, registerAnalytics } from './routes/analytics.js';
import { registerContacts } from './routes/contacts.js';
import { registerConversations } from './routes/conversations.js';
import { registerCrm } from './routes/crm.js';
import { registerInbound } from './routes/inbound.js';
import { registerLeads } from './routes/leads.js';
import { registerMedia } from './routes/media.js';
import { registerMergeSuggestions } from './routes/merge-suggestions.js';
import { registerOps } from './routes/ops.js';
import { registerOutbox } from './routes/outbox.js';
import { registerRouting } from './routes/routing.js';
import { registerSla } from './routes/sla.js';
import { registerTelephony } from './routes/telephony.js';
import { registerWebhooks } from './routes/webhooks.js';

/** Paths that take a file upload (the numbering plan), and their body limit. */
const UPLOAD_PATHS = /^\/(api\/v1\/numbering-plan\/files\/|admin\/numbering\/upload$)/;
const UPLOAD_LIMIT_BYTES = 64 * 1024 * 1024;

/** Builds the HTTP application. No I/O happens here; tests drive it through app.request(). */
export function createApp(deps: AppDeps): App {
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => (result.success ? undefined : validationResponse(c, result.error)),
  });
  app.onError(createErrorHandler(deps.log));

  app.use('*', accessLog(deps.log));
  const bodyLimits = {
    default: limitBody(deps.config.server.bodyLimitBytes),
    upload: limitBody(UPLOAD_LIMIT_BYTES),
  };
  // Numbering plan files (ABC-3xx.csv is ~14 MB) are uploaded by administrators: a limit of their own.
  app.use('*', (c, next) =>
    (UPLOAD_PATHS.test(c.req.path) ? bodyLimits.upload : bodyLimits.default)(c, next),
  );
  // The analytics also answer the dashboard's signed-in supervisors (session cookie, GET): src/http/routes/analytics.ts
  app.use('/api/v1/analytics/*', analyticsSession(deps));
  app.use('/api/v1/*', bearerAuth(deps.tokens));
  app.use('/api/v1/*', storableJsonBody(['/api/v1/inbound']));

  registerOps(app, deps);
  registerInbound(app, deps);
  registerCrm(app, deps);
  registerContacts(app, deps);
  registerLeads(app, deps);
  registerSla(app, deps);
  registerMergeSuggestions(app, deps);
  registerRouting(app, deps);
  if (deps.telephony) registerTelephony(app, { ...deps, telephony: deps.telephony });
  registerConversations(app, deps);
  registerMedia(app, deps);
  if (deps.outbox) registerOutbox(app, { ...deps, outbox: deps.outbox });
  registerAdmin(app, deps);
  registerAnalytics(app, deps);
  registerWebhooks(app, deps);
  // The web app (sign-in, inbox, lead pages): src/web, on the same services as the API.
  const web = registerWeb(app, deps);
  // A browser asking for an unknown page gets the web app's Russian 404 page; everything else keeps JSON.
  app.notFound(
    async (c) =>
      (await web.notFoundPage(c)) ??
      c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  documentOperationsAndWebhooks(app, { channels: deps.channels });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version: '1.0.0',
      description:
        'Omnichannel communication router and lead deduplicator. JSON is camelCase; auth is a bearer token.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    servers: [{ url: '/', description: 'The daemon serving this document' }],
  });
  return app;
}
