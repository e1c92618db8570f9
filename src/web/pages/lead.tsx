import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { replyReadiness } from '../../channels/reply/send-reply.js';
import type { LeadRow } from '../../db/repos/leads.js';
import { canClickToCall } from '../../telephony/click-to-call.js';
import type { WebContext, WebDeps, WebEnv } from '../context.js';
import { formatExact, formatIdentity, formatWhen, regionLabel } from '../format.js';
import { ru } from '../i18n/ru.js';
import { Layout, PostForm } from '../layout.js';
import { markLeadRead } from '../services/inbox.js';
import { type LeadView, leadFor, leadView } from '../services/lead-view.js';
import { unreadNotificationCount } from '../services/notifications.js';
import { colleagues, teamTimeZone, type WebUser } from '../services/users.js';
import {
  actorLabel,
  clientTypeLabel,
  strategyLabel,
  traceFacts,
  trailLine,
  translateWhy,
} from '../trace-ru.js';
import { HttpPageError } from './errors.js';
import { Thread } from './lead-thread.js';

export const FLASH: Record<string, string> = {
  sent: ru.lead.sent,
  taken: ru.lead.taken,
  converted: ru.lead.converted,
  junked: ru.lead.junked,
  reassigned: ru.lead.reassigned,
  calling: ru.lead.calling,
};

/** The conversation a reply goes to: where the client last wrote about this lead, else their newest one. */
function replyTarget(v: LeadView) {
  const lastIn = [...v.thread].reverse().find((e) => e.direction === 'in' && e.kind === 'message');
  const id = lastIn?.conversationId ?? v.contact.conversations[0]?.id;
  return v.contact.conversations.find((c) => c.id === id);
}

/** What the person typed into a reply that did not go out: the page comes back with it and the reason. */
export interface ReplyDraft {
  conversationId: string;
  text: string;
  subject?: string;
  error: string;
}

function ReplyBox(props: { v: LeadView; deps: WebDeps; csrf: string; draft?: ReplyDraft | undefined }) {
  const { draft } = props;
  const target =
    props.v.contact.conversations.find((c) => draft && c.id === draft.conversationId) ?? replyTarget(props.v);
  if (!target) return <p class="cannot">{ru.lead.noConversation}</p>;
  const channel = String(target.channel);
  const channelName = ru.channel[channel] ?? channel;
  const ready = replyReadiness(props.deps.channels, channel, String(target.account));
  const blocked = ready.ok ? undefined : ru.replyBlocked[ready.reason](channelName, String(target.account));
  // A draft is never dropped: even when the channel has gone down meanwhile, the text stays in the form.
  if (blocked && !draft)
    return (
      <p class="cannot" role="note">
        {blocked}
      </p>
    );
  const subject = target.subject ? String(target.subject) : '';
  return (
    <PostForm action={`/leads/${props.v.lead.id}/reply`} csrf={props.csrf} class="reply">
      <h2 class="sr">{ru.lead.reply}</h2>
      {draft ? (
        <p class="reply-error" role="alert">
          {draft.error} {ru.lead.replyFailedKept}
        </p>
      ) : null}
      {blocked ? (
        <p class="cannot" role="note">
          {blocked}
        </p>
      ) : null}
      <input type="hidden" name="conversationId" value={String(target.id)} />
      {/* One key per rendered form: a double click or a browser's re-post never sends the reply twice. */}
      <input type="hidden" name="idempotencyKey" value={randomUUID()} />
      {channel === 'email' ? (
        <label class="subject">
          {ru.lead.replySubject}
          <input
            name="subject"
            value={draft?.subject ?? (/^re:/i.test(subject) || !subject ? subject : `Re: ${subject}`)}
          />
        </label>
      ) : null}
      <label>
        <span class="sr">{ru.lead.replyText}</span>
        <textarea
          name="text"
          rows={4}
          required
          placeholder={`${ru.lead.replyText} (${channelName})`}
          aria-label={ru.lead.replyText}
          data-draft-key={`reply:${props.v.lead.id}`}
        >
          {draft?.text ?? ''}
        </textarea>
      </label>
      <div class="reply-bar">
        <span class="muted">{ru.lead.sendHint}</span>
        <button type="submit" class="primary" disabled={blocked ? true : undefined}>
          {ru.lead.send}
        </button>
      </div>
    </PostForm>
  );
}

function Actions(props: { v: LeadView; user: WebUser; deps: WebDeps; csrf: string }) {
  const { lead } = props.v;
  if (lead.status === 'converted' || lead.status === 'junk') return <p class="muted">{ru.lead.closed}</p>;
  const id = lead.id;
  return (
    <div class="actions">
      {lead.status === 'new' ? (
        <PostForm action={`/leads/${id}/take`} csrf={props.csrf}>
          <button type="submit" class="primary">
            {ru.lead.take}
          </button>
        </PostForm>
      ) : null}
      <details>
        <summary>{ru.lead.convert}</summary>
        <PostForm action={`/leads/${id}/convert`} csrf={props.csrf} class="stack">
          <label>
            {ru.lead.dealNumber}
            <input name="dealExternalId" maxlength={200} />
          </label>
          <button type="submit">{ru.lead.convertSubmit}</button>
        </PostForm>
      </details>
      <details>
        <summary>{ru.lead.junk}</summary>
        <PostForm action={`/leads/${id}/junk`} csrf={props.csrf} class="stack">
          <fieldset>
            <legend>{ru.lead.junkReason}</legend>
            {Object.entries(ru.junkReasons).map(([key, label]) => (
              <label class="radio">
                <input type="radio" name="reason" value={key} required /> {label}
              </label>
            ))}
          </fieldset>
          <button type="submit" class="danger">
            {ru.lead.junkSubmit}
          </button>
        </PostForm>
      </details>
      <details>
        <summary>{ru.lead.reassign}</summary>
        <PostForm action={`/leads/${id}/reassign`} csrf={props.csrf} class="stack">
          <label>
            <span class="sr">{ru.lead.reassign}</span>
            <select name="responsible" aria-label={ru.lead.reassign}>
              {colleagues(props.deps.config, props.user)
                .filter((m) => m.login !== lead.responsible)
                .map((m) => (
                  <option value={m.login}>{m.name}</option>
                ))}
            </select>
          </label>
          <button type="submit">{ru.lead.reassignSubmit}</button>
        </PostForm>
      </details>
    </div>
  );
}

function Card(props: {
  v: LeadView;
  deps: WebDeps;
  tz: string;
  now: Date;
  names: Map<string, string>;
  csrf: string;
  canCall: boolean;
}) {
  const { contact, lead } = props.v;
  const company = contact.company as { name?: string | null; inn?: string | null } | null;
  const teamName = props.deps.config.teams.find((t) => t.id === lead.team)?.name ?? lead.team;
  return (
    <section class="card" aria-labelledby="card-h">
      <h2 id="card-h">{ru.lead.card}</h2>
      <dl>
        <dt>{ru.lead.identities}</dt>
        <dd>
          <ul class="plain">
            {contact.identities.map((i) => (
              <li>
                {i.kind === 'phone' ? (
                  <>
                    <a href={`tel:${String(i.value)}`}>{formatIdentity('phone', String(i.value))}</a>
                    {props.canCall ? (
                      <PostForm action={`/leads/${lead.id}/call`} csrf={props.csrf} class="inline">
                        <input type="hidden" name="phone" value={String(i.value)} />
                        <button type="submit" class="small">
                          {ru.lead.call}
                        </button>
                      </PostForm>
                    ) : null}
                  </>
                ) : i.kind === 'email' ? (
                  <a href={`mailto:${String(i.value)}`}>{String(i.value)}</a>
                ) : (
                  `${ru.channel[String(i.kind)] ?? String(i.kind)}: ${String(i.value)}`
                )}
                {i.verified ? null : <span class="muted"> (не подтверждён)</span>}
                {i.chatBlockedAt ? (
                  <span class="muted">
                    {' — '}
                    {ru.lead.chatBlocked[String(i.kind)] ?? ru.lead.chatBlocked.telegram}{' '}
                    <time datetime={(i.chatBlockedAt as Date).toISOString()}>
                      {formatWhen(i.chatBlockedAt as Date, props.tz, props.now)}
                    </time>
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        </dd>
        <dt>{ru.lead.region}</dt>
        <dd>{contact.region ? regionLabel(contact.region) : '—'}</dd>
        <dt>{ru.lead.clientType}</dt>
        <dd>
          {clientTypeOf(props.v) ? clientTypeLabel(clientTypeOf(props.v)!, typeLabels(props.deps)) : '—'}
        </dd>
        {company ? (
          <>
            <dt>{ru.lead.company}</dt>
            <dd>
              {company.name ?? '—'}
              {company.inn ? (
                <span class="muted">
                  {' '}
                  · {ru.lead.inn} {company.inn}
                </span>
              ) : null}
            </dd>
          </>
        ) : null}
        <dt>{ru.lead.team}</dt>
        <dd>{teamName ?? '—'}</dd>
        <dt>{ru.lead.responsible}</dt>
        <dd>{lead.responsible ? (props.names.get(lead.responsible) ?? lead.responsible) : ru.lead.nobody}</dd>
        {contact.deals.length > 0 ? (
          <>
            <dt>{ru.lead.deals}</dt>
            <dd>
              <ul class="plain">
                {contact.deals.map((d) => (
                  <li>
                    {String(d.title ?? d.externalId)}{' '}
                    <span class="muted">· {String(d.stage ?? d.status)}</span>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {contact.leads.length > 1 ? (
          <>
            <dt>{ru.lead.earlierLeads}</dt>
            <dd>
              <ul class="plain">
                {contact.leads
                  .filter((l) => l.id !== lead.id)
                  .map((l) => (
                    <li>
                      <a href={`/leads/${String(l.id)}`}>
                        {formatWhen(l.createdAt as Date, props.tz, props.now)}
                      </a>{' '}
                      <span class="muted">
                        · {ru.status[l.status as keyof typeof ru.status] ?? String(l.status)}
                      </span>
                    </li>
                  ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** The client's type: stated on the contact (CRM), else on the company, else what routing decided. */
function clientTypeOf(v: LeadView): string | undefined {
  const company = v.contact.company as { client_type?: string | null; clientType?: string | null } | null;
  const routed = v.lead.routing?.facts.clientType as { type?: string } | undefined;
  return v.contact.clientType ?? company?.clientType ?? company?.client_type ?? routed?.type ?? undefined;
}

const typeLabels = (deps: WebDeps) => deps.config.routing.clientTypes.labels;

function Why(props: { v: LeadView; names: Map<string, string>; deps: WebDeps }) {
  const r = props.v.lead.routing;
  if (!r) return null;
  const name = (l: string) => props.names.get(l) ?? l;
  return (
    <details class="why" open>
      <summary>{ru.lead.why}</summary>
      <dl>
        {traceFacts(r, typeLabels(props.deps)).map((f) => (
          <>
            <dt>{f.label}</dt>
            <dd>{f.value}</dd>
          </>
        ))}
        {r.strategy ? (
          <>
            <dt>{ru.lead.strategy}</dt>
            <dd>{strategyLabel(r.strategy)}</dd>
          </>
        ) : null}
        {r.queued ? (
          <>
            <dt>Очередь</dt>
            <dd>{translateWhy(r.queued.why)}</dd>
          </>
        ) : null}
      </dl>
      {r.candidates.length > 0 ? (
        <ul class="plain candidates" aria-label={ru.lead.candidates}>
          {r.candidates.map((c) => (
            <li class={c.outcome}>
              {c.outcome === 'chosen' ? '✓ ' : '· '}
              {name(c.manager)}: <span class="muted">{translateWhy(c.why)}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}

function Trail(props: { v: LeadView; tz: string; now: Date; names: Map<string, string> }) {
  const name = (l: string) => props.names.get(l) ?? l;
  return (
    <details class="trail">
      <summary>{ru.lead.trail}</summary>
      <ol class="plain">
        {props.v.trail.map((t) => {
          const line = trailLine(t, name);
          return (
            <li>
              <time datetime={t.at.toISOString()} title={formatExact(t.at, props.tz)}>
                {formatWhen(t.at, props.tz, props.now)}
              </time>{' '}
              <strong title={line.raw}>{line.what}</strong>{' '}
              <span class="muted">· {actorLabel(t.actor, name)}</span>
              {line.detail ? <div class="detail">{line.detail}</div> : null}
            </li>
          );
        })}
      </ol>
    </details>
  );
}

/**
 * The lead page; also what a failed reply answers with (its status, the draft and the reason), so the text the
 * person typed is never lost.
 */
export async function renderLeadPage(
  c: WebContext,
  deps: WebDeps,
  lead: LeadRow,
  opts: { draft?: ReplyDraft; status?: 200 | 422 | 502 } = {},
): Promise<Response> {
  const names = new Map(deps.config.managers.map((m) => [m.login, m.name]));
  const user = c.get('user');
  const v = await leadView(deps.sql, lead);
  const tz = teamTimeZone(deps.config, user);
  const now = deps.clock();
  if (c.req.query('fragment') === 'thread')
    return c.html(<Thread entries={v.thread} leadId={v.lead.id} timeZone={tz} now={now} names={names} />);
  await markLeadRead(deps.sql, user.login, v.lead.id, now);
  const unreadNotifications = await unreadNotificationCount(deps.sql, user.login);
  const title = v.contact.name ?? ru.inbox.noName;
  return c.html(
    <Layout
      title={title}
      user={user}
      csrf={c.get('csrf')}
      section="inbox"
      unreadNotifications={unreadNotifications}
      live={{ lead: v.lead.id }}
      flash={opts.draft ? undefined : FLASH[c.req.query('ok') ?? '']}
      assetVersion={deps.assetVersion}
    >
      <div class="lead">
        <div class="lead-main">
          <header class="lead-head">
            <a href="/" class="back">
              {ru.lead.back}
            </a>
            <h1>{title}</h1>
            <span class={`status st-${v.lead.status}`}>{ru.status[v.lead.status]}</span>
            <span class={`chip ch-${v.lead.channel}`}>{ru.channel[v.lead.channel] ?? v.lead.channel}</span>
            {v.lead.kind === 'repeat' ? <span class="tag">{ru.kind.repeat}</span> : null}
          </header>
          <section aria-label={ru.lead.thread} class="thread-wrap" id="thread-region">
            <Thread entries={v.thread} leadId={v.lead.id} timeZone={tz} now={now} names={names} />
          </section>
          {v.lead.status === 'converted' || v.lead.status === 'junk' ? null : (
            <ReplyBox v={v} deps={deps} csrf={c.get('csrf')} draft={opts.draft} />
          )}
        </div>
        <aside class="lead-side">
          <Actions v={v} user={user} deps={deps} csrf={c.get('csrf')} />
          <Card
            v={v}
            deps={deps}
            tz={tz}
            now={now}
            names={names}
            csrf={c.get('csrf')}
            canCall={
              canClickToCall(deps.telephony) &&
              Boolean(deps.config.managers.find((m) => m.login === user.login)?.pbxLogin)
            }
          />
          <Why v={v} names={names} deps={deps} />
          <Trail v={v} tz={tz} now={now} names={names} />
        </aside>
      </div>
    </Layout>,
    opts.status ?? 200,
  );
}

export function registerLead(web: Hono<WebEnv>, deps: WebDeps): void {
  web.get('/leads/:id{[0-9a-f-]{36}}', async (c) => {
    const access = await leadFor(deps.sql, c.get('user'), c.req.param('id'));
    if (!access.ok) throw new HttpPageError(access.reason === 'forbidden' ? 403 : 404);
    return renderLeadPage(c, deps, access.lead);
  });
}
