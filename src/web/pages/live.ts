import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { WebDeps, WebEnv } from '../context.js';
import { inboxPulse } from '../services/inbox.js';
import { leadFor, leadPulse } from '../services/lead-view.js';
import { liveCallsFor } from '../services/live-calls.js';
import { unreadNotificationCount } from '../services/notifications.js';

/** A stream ends after this long; the browser's EventSource reconnects by itself (bounded server state). */
const STREAM_LIFETIME_MS = 5 * 60_000;

/**
 * Server-Sent Events for an open page: `inbox` (something changed in what the person sees; carries the unread
 * count for the tab title), `lead` (the open lead's thread or status changed), `notifications` (badge count),
 * `calls` (calls ringing on the person's PBX login, for the caller card). The stream polls the same read
 * services the pages use every `livePollMs`, so it works the same with several daemons on one database.
 */
export function registerLive(web: Hono<WebEnv>, deps: WebDeps): void {
  web.get('/events', (c) => {
    const user = c.get('user');
    const leadParam = c.req.query('lead');
    const manager = deps.config.managers.find((m) => m.login === user.login);
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      const lead = leadParam ? await leadFor(deps.sql, user, leadParam) : undefined;
      const last = new Map<string, string>();
      const send = async (event: string, key: string, data: unknown) => {
        if (last.get(event) === key) return;
        const first = !last.has(event);
        last.set(event, key);
        await stream.writeSSE({ event, data: JSON.stringify({ ...(data as object), first }) });
      };
      const started = Date.now();
      while (open && deps.isAccepting() && Date.now() - started < STREAM_LIFETIME_MS) {
        const now = deps.clock();
        const [inbox, notifications, calls, leadStamp] = await Promise.all([
          inboxPulse(deps.sql, user),
          unreadNotificationCount(deps.sql, user.login),
          liveCallsFor(
            deps.sql,
            { login: user.login, pbxLogin: manager?.pbxLogin },
            now,
            deps.phoneRegions?.(),
          ),
          lead?.ok ? leadPulse(deps.sql, lead.lead.id) : Promise.resolve(undefined),
        ]);
        await send('inbox', `${inbox.version}|${inbox.unread}`, { unread: inbox.unread });
        await send('notifications', String(notifications), { unread: notifications });
        await send('calls', JSON.stringify(calls), { calls });
        if (leadStamp !== undefined) await send('lead', leadStamp, {});
        await stream.sleep(deps.livePollMs);
      }
    });
  });
}
