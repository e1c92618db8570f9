import type { Hono } from 'hono';
import { z } from 'zod';
import type { WebDeps, WebEnv } from '../context.js';
import { formatExact, formatWhen } from '../format.js';
import { ru } from '../i18n/ru.js';
import { Layout } from '../layout.js';
import { type InboxItem, isUnread, listInbox } from '../services/inbox.js';
import { unreadNotificationCount } from '../services/notifications.js';
import { teamTimeZone, type WebUser } from '../services/users.js';

const PAGE = 50;

const query = z.object({
  scope: z.enum(['default', 'mine', 'team']).catch('default'),
  status: z.enum(['open', 'new', 'in_progress', 'converted', 'junk', 'all']).catch('open'),
  channel: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .optional()
    .catch(undefined),
  q: z.string().max(200).optional().catch(undefined),
  before: z.string().max(100).optional().catch(undefined),
});

function parseBefore(s: string | undefined): { at: Date; id: string } | undefined {
  const m = s ? /^(\d{4}-[\d\-T:.]+Z)_([0-9a-f-]{36})$/.exec(s) : null;
  return m ? { at: new Date(m[1]!), id: m[2]! } : undefined;
}

function preview(i: InboxItem): string {
  if (i.lastKind === 'call') return i.lastDirection === 'out' ? ru.lead.callOut : ru.lead.callIn;
  return (i.lastSubject ? `${i.lastSubject}: ` : '') + (i.lastText ?? '').replace(/\s+/g, ' ').slice(0, 140);
}

export function InboxList(props: {
  items: InboxItem[];
  user: WebUser;
  deps: WebDeps;
  more?: string;
  /** Search or filters are on: an empty list means "nothing matched", not "nothing yet". */
  filtered?: boolean;
}) {
  const tz = teamTimeZone(props.deps.config, props.user);
  const now = props.deps.clock();
  const managers = new Map(props.deps.config.managers.map((m) => [m.login, m.name]));
  if (props.items.length === 0)
    return props.filtered ? (
      <p class="empty">
        {ru.inbox.nothingFound} <a href="/">{ru.inbox.resetFilters}</a>
      </p>
    ) : (
      <p class="empty">{ru.inbox.empty}</p>
    );
  return (
    <>
      <ul class="inbox-list" id="inbox-list">
        {props.items.map((i) => {
          const unread = isUnread(i);
          return (
            <li class={`item${unread ? ' unread' : ''}`} data-lead={i.id}>
              <a href={`/leads/${i.id}`}>
                <span class="who">
                  {unread ? (
                    <span class="dot" title={ru.inbox.unread}>
                      <span class="sr">{ru.inbox.unread}</span>
                    </span>
                  ) : null}
                  <span class="name">{i.contactName ?? ru.inbox.noName}</span>
                  <span class={`chip ch-${i.channel}`}>{ru.channel[i.channel] ?? i.channel}</span>
                  <span class={`status st-${i.status}`}>{ru.status[i.status]}</span>
                  {i.kind === 'repeat' ? <span class="tag">{ru.kind.repeat}</span> : null}
                  {i.needsCallback ? <span class="tag warn">{ru.inbox.callback}</span> : null}
                </span>
                <time datetime={i.activityAt.toISOString()} title={formatExact(i.activityAt, tz)}>
                  {formatWhen(i.activityAt, tz, now)}
                </time>
                <span class="preview">{preview(i)}</span>
                <span class="owner">
                  {i.responsible ? (managers.get(i.responsible) ?? i.responsible) : ru.inbox.queued}
                </span>
              </a>
            </li>
          );
        })}
      </ul>
      {props.more ? (
        <a class="more" href={props.more}>
          {ru.inbox.more}
        </a>
      ) : null}
    </>
  );
}

export function registerInbox(web: Hono<WebEnv>, deps: WebDeps): void {
  const channels = [...new Set(['email', 'webform', 'api', 'megafon', 'mango', ...Object.keys(ru.channel)])];

  web.get('/', async (c) => {
    const user = c.get('user');
    const q = query.parse(c.req.query());
    const before = parseBefore(q.before);
    const items = await listInbox(
      deps.sql,
      user,
      {
        scope: q.scope,
        status: q.status,
        ...(q.channel ? { channel: q.channel } : {}),
        ...(q.q ? { search: q.q } : {}),
        ...(before ? { before } : {}),
        limit: PAGE,
      },
      deps.policy,
    );
    const last = items.at(-1);
    const params = new URLSearchParams(c.req.query());
    if (last) params.set('before', `${last.activityAt.toISOString()}_${last.id}`);
    const more = items.length === PAGE && last ? `/?${params.toString()}` : undefined;
    const filtered = Boolean(q.q || q.channel || q.status !== 'open');
    if (c.req.query('fragment') === 'list')
      return c.html(
        <InboxList items={items} user={user} deps={deps} filtered={filtered} {...(more ? { more } : {})} />,
      );
    const unreadNotifications = await unreadNotificationCount(deps.sql, user.login);
    return c.html(
      <Layout
        title={ru.inbox.title}
        user={user}
        csrf={c.get('csrf')}
        section="inbox"
        unreadNotifications={unreadNotifications}
        live={{ inbox: true }}
        assetVersion={deps.assetVersion}
      >
        <div class="inbox">
          <search>
            <form class="filters" method="get" action="/">
              <input
                type="search"
                name="q"
                value={q.q ?? ''}
                placeholder={ru.inbox.search}
                aria-label={ru.inbox.search}
                id="search"
              />
              <fieldset class="scopes">
                <legend class="sr">Чьи</legend>
                {(['default', 'mine', 'team'] as const).map((s) => (
                  <label class={q.scope === s ? 'on' : ''}>
                    <input type="radio" name="scope" value={s} checked={q.scope === s} />
                    {ru.inbox.scope[s]}
                  </label>
                ))}
              </fieldset>
              <label class="sel">
                <span class="sr">{ru.inbox.status}</span>
                <select name="status" aria-label={ru.inbox.status}>
                  <option value="open" selected={q.status === 'open'}>
                    Открытые
                  </option>
                  {(['new', 'in_progress', 'converted', 'junk'] as const).map((s) => (
                    <option value={s} selected={q.status === s}>
                      {ru.status[s]}
                    </option>
                  ))}
                  <option value="all" selected={q.status === 'all'}>
                    {ru.inbox.allStatuses}
                  </option>
                </select>
              </label>
              <label class="sel">
                <span class="sr">{ru.inbox.channel}</span>
                <select name="channel" aria-label={ru.inbox.channel}>
                  <option value="">{ru.inbox.allChannels}</option>
                  {channels.map((ch) => (
                    <option value={ch} selected={q.channel === ch}>
                      {ru.channelFilter[ch] ?? ru.channel[ch] ?? ch}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">{ru.inbox.searchButton}</button>
            </form>
          </search>
          <section aria-label={ru.inbox.title} id="inbox-region" aria-live="polite">
            <InboxList
              items={items}
              user={user}
              deps={deps}
              filtered={filtered}
              {...(more ? { more } : {})}
            />
          </section>
        </div>
      </Layout>,
    );
  });
}
