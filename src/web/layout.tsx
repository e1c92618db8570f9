import type { Child } from 'hono/jsx';
import { ru } from './i18n/ru.js';
import type { WebUser } from './services/users.js';

export interface PageChrome {
  title: string;
  user?: WebUser;
  csrf?: string;
  /** Which nav item is current. */
  section?: 'inbox' | 'merges' | 'notifications' | 'dashboard' | 'admin';
  /** Reload the page every N seconds (the WhatsApp pairing page while it waits for a scan). */
  refreshSeconds?: number;
  unreadNotifications?: number;
  /** Data the client script reads (live updates: which lead the page shows). */
  live?: { lead?: string; inbox?: boolean };
  flash?: string | undefined;
  assetVersion: string;
  /** Extra local scripts of this page (names under /assets/, e.g. the dashboard's charts), after app.js. */
  scripts?: string[];
}

/** The one page frame: header with navigation, the CSRF token for scripts, the local script and styles. */
export function Layout(props: PageChrome & { children?: Child }) {
  const { user } = props;
  return (
    <html lang="ru">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${ru.app}`}</title>
        <link rel="stylesheet" href={`/assets/app.css?v=${props.assetVersion}`} />
        {props.csrf ? <meta name="csrf-token" content={props.csrf} /> : null}
        {props.refreshSeconds ? <meta http-equiv="refresh" content={String(props.refreshSeconds)} /> : null}
        <script src={`/assets/app.js?v=${props.assetVersion}`} defer />
        {(props.scripts ?? []).map((name) => (
          <script src={`/assets/${name}?v=${props.assetVersion}`} defer />
        ))}
      </head>
      <body
        data-live-lead={props.live?.lead}
        data-live-inbox={props.live?.inbox ? '1' : undefined}
        data-page-title={props.title}
      >
        <a class="skip" href="#main">
          {ru.nav.skip}
        </a>
        {user ? (
          <header class="top">
            <a class="brand" href="/">
              {ru.app}
            </a>
            <nav aria-label="Разделы">
              <a href="/" aria-current={props.section === 'inbox' ? 'page' : undefined}>
                {ru.nav.inbox}
                <span class="count" id="inbox-unread" hidden></span>
              </a>
              <a href="/merges" aria-current={props.section === 'merges' ? 'page' : undefined}>
                {ru.nav.merges}
              </a>
              {user.role !== 'manager' ? (
                <a href="/dashboard" aria-current={props.section === 'dashboard' ? 'page' : undefined}>
                  {ru.nav.dashboard}
                </a>
              ) : null}
              <a href="/notifications" aria-current={props.section === 'notifications' ? 'page' : undefined}>
                {ru.nav.notifications}
                <span
                  class="badge"
                  id="notif-badge"
                  hidden={!props.unreadNotifications}
                  title={`непрочитанных: ${props.unreadNotifications ?? 0}`}
                >
                  {props.unreadNotifications ? String(props.unreadNotifications) : ''}
                </span>
              </a>
              {user.role === 'admin' ? (
                <a href="/admin" aria-current={props.section === 'admin' ? 'page' : undefined}>
                  {ru.nav.admin}
                </a>
              ) : null}
            </nav>
            <div class="me">
              <span class="me-name">{user.name}</span>
              <span class="me-role">{ru.roles[user.role]}</span>
              <form method="post" action="/logout">
                <input type="hidden" name="_csrf" value={props.csrf} />
                <button type="submit" class="link">
                  {ru.nav.logout}
                </button>
              </form>
            </div>
          </header>
        ) : null}
        <main id="main">
          {props.flash ? <output class="flash">{props.flash}</output> : null}
          {props.children}
        </main>
        <aside id="call-card" class="call-card" hidden aria-live="assertive"></aside>
      </body>
    </html>
  );
}

/** A form that carries the CSRF token. */
export function PostForm(props: { action: string; csrf: string; class?: string; children?: Child }) {
  return (
    <form method="post" action={props.action} class={props.class}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}
