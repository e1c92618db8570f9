import type { Hono } from 'hono';
import { maskSecrets } from '../../../channels/accounts.js';
import { inboundEventDetail, problemEventCounts, problemEvents } from '../../../db/repos/read-models.js';
import {
  RETRYABLE_STATUSES,
  type RetryableStatus,
  retryInboundEvent,
  retryInboundEvents,
} from '../../../ingest/retry.js';
import type { WebDeps, WebEnv } from '../../context.js';
import { formatExact, formatWhen } from '../../format.js';
import { ru } from '../../i18n/ru.js';
import { PostForm } from '../../layout.js';
import { teamTimeZone } from '../../services/users.js';
import { HttpPageError } from '../errors.js';
import { adminPage } from './frame.js';

const t = ru.admin.inbound;
const ID = '{[0-9a-f-]{36}}';
const PAGE = 50;
/** The payload shown on the event's page is cut here: a big email stays readable. */
const PAYLOAD_SHOWN = 64 * 1024;
const DEFAULT: RetryableStatus[] = ['failed', 'dead'];

const statusesOf = (v: string | undefined): RetryableStatus[] =>
  (RETRYABLE_STATUSES as readonly string[]).includes(v ?? '') ? [v as RetryableStatus] : DEFAULT;
const channelName = (name: string) => ru.channelFilter[name] ?? ru.channel[name] ?? name;

/** «Ошибки приёма»: failed, dead (and rejected) events with the reason; the payload on its own page; retry. */
export function registerAdminInbound(web: Hono<WebEnv>, deps: WebDeps): void {
  const actor = (login: string) => `web:${login}`;

  web.get('/admin/inbound', async (c) => {
    const status = c.req.query('status');
    const statuses = statusesOf(status);
    const before = /^(\d{4}-[\d:T.\-Z]+)\|([0-9a-f-]{36})$/.exec(c.req.query('before') ?? '');
    const [rows, counts] = await Promise.all([
      problemEvents(deps.sql, {
        statuses,
        ...(before ? { before: { receivedAt: new Date(before[1]!), id: before[2]! } } : {}),
        limit: PAGE,
      }),
      problemEventCounts(deps.sql),
    ]);
    const tz = teamTimeZone(deps.config, c.get('user'));
    const now = deps.clock();
    const csrf = c.get('csrf');
    const flash = c.req.query('retried');
    const last = rows[rows.length - 1];
    const statusQuery = status && statuses.length === 1 && status === statuses[0] ? `status=${status}&` : '';
    return adminPage(c, deps, {
      tab: 'inbound',
      flash:
        flash === 'one'
          ? t.retriedOne
          : flash === 'again'
            ? t.retryFailed
            : flash
              ? t.retried(Number(c.req.query('ok') ?? 0), Number(flash))
              : undefined,
      children: (
        <>
          <p class="muted">{t.intro}</p>
          <div class="row filters">
            <nav class="scopes" aria-label={t.statusLabel}>
              <a href="/admin/inbound" class={!status ? 'on' : ''}>
                {t.status.failed} + {t.status.dead} ({counts.failed + counts.dead})
              </a>
              {RETRYABLE_STATUSES.map((s) => (
                <a href={`/admin/inbound?status=${s}`} class={status === s ? 'on' : ''}>
                  {t.status[s]} ({counts[s]})
                </a>
              ))}
            </nav>
            {rows.length > 0 ? (
              <PostForm action="/admin/inbound/retry" csrf={csrf}>
                <input type="hidden" name="status" value={status ?? ''} />
                <button type="submit" class="primary">
                  {t.retryAll}
                </button>
              </PostForm>
            ) : null}
          </div>
          {rows.length === 0 ? (
            <p class="empty">{t.empty}</p>
          ) : (
            <div class="table-wrap">
              <table class="grid inbound">
                <thead>
                  <tr>
                    <th scope="col">{t.received}</th>
                    <th scope="col">{t.channel}</th>
                    <th scope="col">{t.statusLabel}</th>
                    <th scope="col">{t.reason}</th>
                    <th scope="col">{t.attempts}</th>
                    <th scope="col">
                      <span class="sr">{ru.admin.channels.actions}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => (
                    <tr data-event={e.id}>
                      <td>
                        <a href={`/admin/inbound/${e.id}`} title={formatExact(e.receivedAt, tz)}>
                          {formatWhen(e.receivedAt, tz, now)}
                        </a>
                      </td>
                      <td>
                        {channelName(e.source)}
                        {e.account ? <span class="muted small"> · {e.account}</span> : null}
                      </td>
                      <td>
                        <span class={`state state-${e.status === 'failed' ? 'connecting' : 'error'}`}>
                          {t.status[e.status]}
                        </span>
                      </td>
                      <td class="err-text">{e.lastError ? maskSecrets(e.lastError) : '—'}</td>
                      <td>
                        {e.attempts}
                        {e.status === 'failed' && e.nextAttemptAt ? (
                          <span class="muted small">
                            {' '}
                            · {t.nextAttempt} {formatWhen(e.nextAttemptAt, tz, now)}
                          </span>
                        ) : null}
                      </td>
                      <td>
                        <PostForm action={`/admin/inbound/${e.id}/retry`} csrf={csrf}>
                          <button type="submit">{t.retry}</button>
                        </PostForm>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {rows.length === PAGE && last ? (
            <p>
              <a
                href={`/admin/inbound?${statusQuery}before=${encodeURIComponent(`${last.receivedAt.toISOString()}|${last.id}`)}`}
              >
                {t.more}
              </a>
            </p>
          ) : null}
        </>
      ),
    });
  });

  web.get(`/admin/inbound/:id${ID}`, async (c) => {
    const e = await inboundEventDetail(deps.sql, c.req.param('id'));
    if (!e) throw new HttpPageError(404);
    const tz = teamTimeZone(deps.config, c.get('user'));
    const json = e.payload === null ? '' : JSON.stringify(e.payload, null, 2);
    return adminPage(c, deps, {
      tab: 'inbound',
      title: `${t.payload}: ${channelName(e.source)}${e.account ? ` · ${e.account}` : ''}`,
      children: (
        <>
          <p>
            <a href="/admin/inbound">{t.back}</a>
          </p>
          <dl class="facts">
            <dt>{t.statusLabel}</dt>
            <dd>{t.status[e.status] ?? e.status}</dd>
            <dt>{t.received}</dt>
            <dd>{formatExact(e.receivedAt, tz)}</dd>
            <dt>{t.reason}</dt>
            <dd class="err-text">{e.lastError ? maskSecrets(e.lastError) : '—'}</dd>
            <dt>{t.attempts}</dt>
            <dd>{e.attempts}</dd>
          </dl>
          {e.rawBytes !== null ? <p class="muted small">{t.raw(e.rawBytes)}</p> : null}
          <pre class="payload">
            {json.length > PAYLOAD_SHOWN ? `${json.slice(0, PAYLOAD_SHOWN)}\n…` : json}
          </pre>
          {(RETRYABLE_STATUSES as readonly string[]).includes(e.status) ? (
            <PostForm action={`/admin/inbound/${e.id}/retry`} csrf={c.get('csrf')}>
              <button type="submit" class="primary">
                {t.retry}
              </button>
            </PostForm>
          ) : null}
        </>
      ),
    });
  });

  web.post(`/admin/inbound/:id${ID}/retry`, async (c) => {
    const outcome = await retryInboundEvent(deps, c.req.param('id'), actor(c.get('user').login));
    return c.redirect(`/admin/inbound?retried=${outcome.status === 'processed' ? 'one' : 'again'}`, 303);
  });

  web.post('/admin/inbound/retry', async (c) => {
    const body = await c.req.parseBody();
    const status = typeof body.status === 'string' && body.status ? body.status : undefined;
    const out = await retryInboundEvents(deps, statusesOf(status), actor(c.get('user').login));
    return c.redirect(`/admin/inbound?retried=${out.retried}&ok=${out.processed}`, 303);
  });
}
