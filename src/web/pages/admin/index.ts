import type { Hono, MiddlewareHandler } from 'hono';
import type { WebDeps, WebEnv } from '../../context.js';
import { ru } from '../../i18n/ru.js';
import { HttpPageError } from '../errors.js';
import { registerAdminAudit } from './audit.js';
import { registerAdminChannels } from './channels.js';
import { registerAdminInbound } from './inbound.js';
import { registerAdminNumbering } from './numbering.js';
import { registerAdminSimulator } from './simulator.js';
import { registerAdminTeams } from './teams.js';

/** The paths of the admin pages (the web app's session and CSRF middleware covers them). */
export const ADMIN_PATHS = ['/admin', '/admin/*'];

/** Administrators only: a manager or a supervisor gets the Russian 403 page, on every admin path and action. */
const adminsOnly: MiddlewareHandler<WebEnv> = async (c, next) => {
  if (c.get('user').role !== 'admin') throw new HttpPageError(403, ru.admin.forbidden);
  return next();
};

/** The administrator's pages: channels, numbering plan, routing simulator, teams, audit trail, failed events. */
export function registerAdminPages(web: Hono<WebEnv>, deps: WebDeps): void {
  for (const p of ADMIN_PATHS) web.use(p, adminsOnly);
  registerAdminChannels(web, deps);
  registerAdminNumbering(web, deps);
  registerAdminSimulator(web, deps);
  registerAdminTeams(web, deps);
  registerAdminAudit(web, deps);
  registerAdminInbound(web, deps);
}
