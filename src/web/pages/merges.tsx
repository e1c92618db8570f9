import type { Hono } from 'hono';
import { z } from 'zod';
import { listSuggestions, resolveSuggestion, type SuggestionView } from '../../crm/resolve-suggestion.js';
import { recentMerges, undoMerge } from '../../crm/undo-merge.js';
import type { WebDeps, WebEnv } from '../context.js';
import { formatIdentity, formatWhen } from '../format.js';
import { ru } from '../i18n/ru.js';
import { Layout, PostForm } from '../layout.js';
import { unreadNotificationCount } from '../services/notifications.js';
import { teamTimeZone, type WebUser } from '../services/users.js';
import { HttpPageError } from './errors.js';

const ID = '{[0-9a-f-]{36}}';
const FLASH: Record<string, string> = {
  merged: ru.merges.merged,
  dismissed: ru.merges.dismissed,
  undone: ru.merges.undone,
};

const canUndo = (user: WebUser, actor: string) => user.role !== 'manager' || actor === `web:${user.login}`;

function Side(props: {
  name: string | null;
  identities: { kind: string; value: string }[] | null;
  shared: string;
}) {
  return (
    <div class="side">
      <strong>{props.name ?? ru.inbox.noName}</strong>
      <ul class="plain">
        {(props.identities ?? []).map((i) => (
          <li class={i.value === props.shared ? 'shared' : ''}>{formatIdentity(i.kind, i.value)}</li>
        ))}
      </ul>
    </div>
  );
}

function Suggestion(props: { s: SuggestionView; csrf: string }) {
  const { s } = props;
  const shared = formatIdentity(s.identityKind, s.identityValue);
  return (
    <li>
      <p>
        {ru.merges.shared}: <strong>{shared}</strong>
      </p>
      <div class="pair">
        <Side name={s.contactName} identities={s.contactIdentities} shared={s.identityValue} />
        <Side name={s.otherName} identities={s.otherIdentities} shared={s.identityValue} />
      </div>
      <p class="muted">{ru.merges.whyText}</p>
      <div class="row">
        <PostForm action={`/merges/${s.id}/merge`} csrf={props.csrf}>
          <input type="hidden" name="keep" value="contact" />
          <button type="submit" class="primary">
            {ru.merges.merge}: {ru.merges.keep.toLowerCase()} «{s.contactName ?? ru.inbox.noName}»
          </button>
        </PostForm>
        <PostForm action={`/merges/${s.id}/merge`} csrf={props.csrf}>
          <input type="hidden" name="keep" value="other" />
          <button type="submit">
            {ru.merges.merge}: {ru.merges.keep.toLowerCase()} «{s.otherName ?? ru.inbox.noName}»
          </button>
        </PostForm>
        <PostForm action={`/merges/${s.id}/dismiss`} csrf={props.csrf}>
          <button type="submit">{ru.merges.dismiss}</button>
        </PostForm>
      </div>
    </li>
  );
}

/** Merge suggestions (merge choosing who stays, dismiss) and recent merges with undo. */
export function registerMerges(web: Hono<WebEnv>, deps: WebDeps): void {
  const names = new Map(deps.config.managers.map((m) => [m.login, m.name]));
  const actorName = (a: string) => (a.startsWith('web:') ? (names.get(a.slice(4)) ?? a) : a);

  web.get('/merges', async (c) => {
    const user = c.get('user');
    const [suggestions, merges, unread] = await Promise.all([
      listSuggestions(deps.sql, 'open', 100, user.all ? undefined : { teams: user.teams, login: user.login }),
      recentMerges(deps.sql, 20),
      unreadNotificationCount(deps.sql, user.login),
    ]);
    const tz = teamTimeZone(deps.config, user);
    const now = deps.clock();
    const csrf = c.get('csrf');
    const mine = merges.filter((m) => canUndo(user, m.actor));
    return c.html(
      <Layout
        title={ru.merges.title}
        user={user}
        csrf={csrf}
        section="merges"
        unreadNotifications={unread}
        flash={FLASH[c.req.query('ok') ?? '']}
        assetVersion={deps.assetVersion}
      >
        <section class="page">
          <h1>{ru.merges.title}</h1>
          {suggestions.length === 0 ? (
            <p class="empty">{ru.merges.empty}</p>
          ) : (
            <ul class="merges">
              {suggestions.map((s) => (
                <Suggestion s={s} csrf={csrf} />
              ))}
            </ul>
          )}
          {mine.length > 0 ? (
            <>
              <h2>{ru.merges.recent}</h2>
              <ul class="merges">
                {mine.map((m) => (
                  <li>
                    <div class="row">
                      <span>
                        «{m.sourceName ?? ru.inbox.noName}» → «{m.targetName ?? ru.inbox.noName}»
                        <span class="muted">
                          {' '}
                          · {actorName(m.actor)}, {formatWhen(m.mergedAt, tz, now)}
                        </span>
                      </span>
                      {m.undoneAt ? (
                        <span class="tag">отменено</span>
                      ) : (
                        <PostForm action={`/merges/undo/${m.id}`} csrf={csrf}>
                          <button type="submit">{ru.merges.undo}</button>
                        </PostForm>
                      )}
                    </div>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>
      </Layout>,
    );
  });

  const keep = z.object({ keep: z.enum(['contact', 'other']).catch('contact') });
  const visible = async (user: WebUser, id: string) => {
    if (user.all) return;
    const list = await listSuggestions(deps.sql, 'open', 500, { teams: user.teams, login: user.login });
    if (!list.some((s) => s.id === id)) throw new HttpPageError(403);
  };
  const actor = (user: WebUser) => `web:${user.login}`;

  web.post(`/merges/:id${ID}/merge`, async (c) => {
    const user = c.get('user');
    await visible(user, c.req.param('id'));
    const form = keep.parse(await c.req.parseBody());
    await resolveSuggestion(
      deps.sql,
      c.req.param('id'),
      { action: 'merge', keep: form.keep },
      { actor: actor(user), clock: deps.clock },
    );
    return c.redirect('/merges?ok=merged', 303);
  });

  web.post(`/merges/:id${ID}/dismiss`, async (c) => {
    const user = c.get('user');
    await visible(user, c.req.param('id'));
    await resolveSuggestion(
      deps.sql,
      c.req.param('id'),
      { action: 'dismiss', keep: 'contact' },
      { actor: actor(user), clock: deps.clock },
    );
    return c.redirect('/merges?ok=dismissed', 303);
  });

  web.post(`/merges/undo/:id${ID}`, async (c) => {
    const user = c.get('user');
    const merge = (await recentMerges(deps.sql, 200)).find((m) => m.id === c.req.param('id'));
    if (!merge) throw new HttpPageError(404);
    if (!canUndo(user, merge.actor)) throw new HttpPageError(403);
    await undoMerge(deps.sql, merge.id, { actor: actor(user), clock: deps.clock });
    return c.redirect('/merges?ok=undone', 303);
  });
}
