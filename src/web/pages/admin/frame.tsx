import type { Child } from 'hono/jsx';
import type { WebContext, WebDeps } from '../../context.js';
import { ru } from '../../i18n/ru.js';
import { Layout } from '../../layout.js';
import { unreadNotificationCount } from '../../services/notifications.js';

export type AdminTab = keyof typeof ru.admin.tabs;

const TABS: [AdminTab, string][] = [
  ['channels', '/admin'],
  ['numbering', '/admin/numbering'],
  ['simulator', '/admin/simulator'],
  ['teams', '/admin/teams'],
  ['audit', '/admin/audit'],
  ['inbound', '/admin/inbound'],
];

/** Every admin page: the app's layout, the admin tabs, the page's heading and an optional message. */
export async function adminPage(
  c: WebContext,
  deps: WebDeps,
  o: {
    tab: AdminTab;
    title?: string;
    flash?: string | undefined;
    error?: string | undefined;
    status?: 200 | 400 | 404 | 422;
    refreshSeconds?: number;
    children: Child;
  },
) {
  const user = c.get('user');
  const unread = await unreadNotificationCount(deps.sql, user.login);
  const title = o.title ?? ru.admin.tabs[o.tab];
  return c.html(
    <Layout
      title={title}
      user={user}
      csrf={c.get('csrf')}
      section="admin"
      unreadNotifications={unread}
      flash={o.flash}
      assetVersion={deps.assetVersion}
      {...(o.refreshSeconds ? { refreshSeconds: o.refreshSeconds } : {})}
    >
      <section class="page admin">
        <nav class="tabs admin-tabs" aria-label={ru.admin.title}>
          {TABS.map(([tab, href]) => (
            <a href={href} aria-current={tab === o.tab ? 'page' : undefined}>
              {ru.admin.tabs[tab]}
            </a>
          ))}
        </nav>
        <h1>{title}</h1>
        {o.error ? (
          <p class="form-error" role="alert">
            {o.error}
          </p>
        ) : null}
        {o.children}
      </section>
    </Layout>,
    o.status ?? 200,
  );
}
