import type { Hono } from 'hono';
import type { WebDeps, WebEnv } from '../context.js';
import { formatExact, formatWhen, notificationDetail } from '../format.js';
import { ru } from '../i18n/ru.js';
import { Layout, PostForm } from '../layout.js';
import { listNotifications, markOwnRead, unreadIds } from '../services/notifications.js';
import { teamTimeZone } from '../services/users.js';

/** The in-app SLA notifications of the signed-in person, with "mark read". */
export function registerNotifications(web: Hono<WebEnv>, deps: WebDeps): void {
  web.get('/notifications', async (c) => {
    const user = c.get('user');
    const items = await listNotifications(deps.sql, { recipient: user.login, unreadOnly: false, limit: 100 });
    const tz = teamTimeZone(deps.config, user);
    const now = deps.clock();
    const unread = items.filter((n) => !n.readAt).length;
    return c.html(
      <Layout
        title={ru.notifications.title}
        user={user}
        csrf={c.get('csrf')}
        section="notifications"
        unreadNotifications={unread}
        assetVersion={deps.assetVersion}
      >
        <section class="page">
          <header class="page-head">
            <h1>{ru.notifications.title}</h1>
            {unread > 0 ? (
              <PostForm action="/notifications/read-all" csrf={c.get('csrf')}>
                <button type="submit">{ru.notifications.markAll}</button>
              </PostForm>
            ) : null}
          </header>
          {items.length === 0 ? (
            <p class="empty">{ru.notifications.empty}</p>
          ) : (
            <ul class="notes">
              {items.map((n) => (
                <li class={n.readAt ? 'read' : 'unread'}>
                  <div>
                    <strong>{n.title}</strong>
                    <time datetime={n.createdAt.toISOString()} title={formatExact(n.createdAt, tz)}>
                      {formatWhen(n.createdAt, tz, now)}
                    </time>
                  </div>
                  {notificationDetail(n.title, n.body) ? <p>{notificationDetail(n.title, n.body)}</p> : null}
                  <div class="row">
                    {n.leadId ? <a href={`/leads/${n.leadId}`}>{ru.notifications.open}</a> : null}
                    {n.readAt ? null : (
                      <PostForm action={`/notifications/${n.id}/read`} csrf={c.get('csrf')}>
                        <button type="submit" class="link">
                          {ru.notifications.markRead}
                        </button>
                      </PostForm>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </Layout>,
    );
  });

  web.post('/notifications/:id{[0-9a-f-]{36}}/read', async (c) => {
    await markOwnRead(deps.sql, c.get('user').login, [c.req.param('id')], deps.clock());
    return c.redirect('/notifications', 303);
  });

  web.post('/notifications/read-all', async (c) => {
    const login = c.get('user').login;
    await markOwnRead(deps.sql, login, await unreadIds(deps.sql, login), deps.clock());
    return c.redirect('/notifications', 303);
  });
}
