import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Context, Hono } from 'hono';
import type { App, AppDeps } from '../http/app-types.js';
import type { WebDeps, WebEnv } from './context.js';
import { ru } from './i18n/ru.js';
import { ADMIN_PATHS, registerAdminPages } from './pages/admin/index.js';
import { registerDashboard } from './pages/dashboard.js';
import { errorPage, webErrorHandler } from './pages/errors.js';
import { registerInbox } from './pages/inbox.js';
import { registerLead } from './pages/lead.js';
import { registerLeadActions } from './pages/lead-actions.js';
import { registerLive } from './pages/live.js';
import { registerLogin } from './pages/login.js';
import { registerMedia } from './pages/media.js';
import { registerMerges } from './pages/merges.js';
import { registerMessageFiles } from './pages/message-files.js';
import { registerNotifications } from './pages/notifications.js';
import { registerRecording } from './pages/recording.js';
import { createLoginThrottle } from './services/throttle.js';
import {
  currentUser,
  requireCsrf,
  requireUser,
  sameOrigin,
  securityHeaders,
  securityHeadersOn,
} from './session.js';

const ASSETS = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  // Chart.js (the dashboard's charts), served from node_modules: no CDN, the CSP stays script-src 'self'.
  'chart.js': 'text/javascript; charset=utf-8',
} as const;

/** Where an asset's bytes come from: our own files sit next to this module; libraries in node_modules. */
function assetUrl(name: string): URL {
  if (name === 'chart.js') {
    const main = createRequire(import.meta.url).resolve('chart.js'); // …/chart.js/dist/chart.cjs
    return pathToFileURL(path.join(path.dirname(main), 'chart.umd.min.js'));
  }
  return new URL(`./assets/${name}`, import.meta.url);
}

const OPEN_PATHS = ['/login', '/logout'];
const PAGE_PATHS = [
  '/',
  '/leads/*',
  '/notifications',
  '/notifications/*',
  '/merges',
  '/merges/*',
  '/events',
  '/calls/*',
  '/media/*',
  ...ADMIN_PATHS,
  '/dashboard',
];

/** Read once at start: the files sit next to this module (the build copies them, see docs/web.md). */
function loadAssets(): { files: Map<string, Buffer>; version: string } {
  const files = new Map<string, Buffer>();
  const hash = createHash('sha256');
  for (const name of Object.keys(ASSETS)) {
    const body = readFileSync(assetUrl(name));
    files.set(name, body);
    hash.update(body);
  }
  return { files, version: hash.digest('hex').slice(0, 12) };
}

/**
 * Mounts the web app (server-rendered pages, a small local script, Server-Sent Events) on the API's app.
 * Pages call the same services as /api/v1 and never hold SQL of their own (src/web/services).
 */
export function registerWeb(
  app: App,
  deps: AppDeps & { web?: { livePollMs?: number; maxLoginFailures?: number } },
): { notFoundPage: (c: Context) => Promise<Response | undefined> } {
  const assets = loadAssets();
  const webDeps: WebDeps = {
    ...deps,
    throttle: createLoginThrottle(
      deps.sql,
      deps.web?.maxLoginFailures !== undefined ? { maxFailures: deps.web.maxLoginFailures } : {},
    ),
    assetVersion: assets.version,
    livePollMs: deps.web?.livePollMs ?? 2_000,
  };

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name') as keyof typeof ASSETS;
    const body = assets.files.get(name);
    if (!body) return c.text('not found', 404);
    return c.body(new Uint8Array(body), 200, {
      'content-type': ASSETS[name],
      // The URL carries ?v=<content hash>: a changed file gets a new URL.
      'cache-control':
        c.req.query('v') === assets.version ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
  });

  // Middleware is bound to the web app's own paths: /api/v1, webhooks and probes never see it.
  const open = new Hono<WebEnv>();
  for (const p of OPEN_PATHS) open.use(p, securityHeaders, sameOrigin(deps.config.server.publicUrl));
  open.onError(webErrorHandler(assets.version, deps.log));
  registerLogin(open, webDeps);

  const web = new Hono<WebEnv>();
  for (const p of PAGE_PATHS)
    web.use(p, securityHeaders, sameOrigin(deps.config.server.publicUrl), requireUser(webDeps), requireCsrf);
  web.onError(webErrorHandler(assets.version, deps.log));
  registerInbox(web, webDeps);
  registerLead(web, webDeps);
  registerLeadActions(web, webDeps);
  registerNotifications(web, webDeps);
  registerMerges(web, webDeps);
  registerRecording(web, webDeps);
  registerMessageFiles(web, webDeps);
  registerMedia(web, webDeps);
  registerLive(web, webDeps);
  registerAdminPages(web, webDeps);
  registerDashboard(web, webDeps);

  app.route('/', open);
  app.route('/', web);

  return {
    /**
     * A browser's GET of a path nobody serves (an old link, a typo, /leads/<not an id>): the Russian 404 page in
     * the app's layout, with the header when the person is signed in. The API, webhooks and scripts keep JSON.
     */
    async notFoundPage(c) {
      const isPage =
        (c.req.method === 'GET' || c.req.method === 'HEAD') &&
        c.req.header('accept')?.includes('text/html') === true &&
        !/^\/(api|webhooks)\//.test(c.req.path);
      if (!isPage) return undefined;
      const wc = c as unknown as Context<WebEnv>;
      const signedIn = await currentUser(webDeps, wc);
      if (signedIn) {
        wc.set('user', signedIn.user);
        wc.set('csrf', signedIn.csrf);
      }
      const res = await errorPage(wc, assets.version, 404, ru.errors.noPage);
      return securityHeadersOn(res);
    },
  };
}
