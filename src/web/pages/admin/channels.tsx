import type { Hono } from 'hono';
import {
  CHANNEL_EVENTS_WINDOW_MS,
  type ChannelAccountView,
  listChannelAccounts,
} from '../../../channels/accounts.js';
import type { ConnectReport } from '../../../channels/channel.js';
import { connectAccount } from '../../../channels/connect.js';
import { CHANNELS } from '../../../channels/index.js';
import type { WebContext, WebDeps, WebEnv } from '../../context.js';
import { formatExact, formatWhen } from '../../format.js';
import { ru } from '../../i18n/ru.js';
import { PostForm } from '../../layout.js';
import { teamTimeZone } from '../../services/users.js';
import { HttpPageError } from '../errors.js';
import { adminPage } from './frame.js';

const t = ru.admin.channels;
const channelName = (name: string) => ru.channelFilter[name] ?? ru.channel[name] ?? name;
const SEGMENT = '{[A-Za-z0-9._-]{1,200}}';

function When(props: { at: string | null; tz: string; now: Date; empty: string }) {
  if (!props.at) return <span class="muted">{props.empty}</span>;
  const d = new Date(props.at);
  return (
    <time datetime={props.at} title={formatExact(d, props.tz)}>
      {formatWhen(d, props.tz, props.now)}
    </time>
  );
}

function AccountRow(props: {
  a: ChannelAccountView;
  csrf: string;
  tz: string;
  now: Date;
  report?: ConnectReport | undefined;
}) {
  const { a } = props;
  const base = `/admin/channels/${encodeURIComponent(a.channel)}/${encodeURIComponent(a.account)}`;
  const secret = a.webhookUrl ? /<(\w+)>$/.exec(a.webhookUrl)?.[1] : undefined;
  return (
    <tr data-channel={a.channel} data-account={a.account}>
      <td>
        <strong>{channelName(a.channel)}</strong>
        {a.transport ? <span class="muted small"> · {t.transport[a.transport] ?? a.transport}</span> : null}
      </td>
      <td>{a.account}</td>
      <td>
        <span class={`state state-${a.state}`}>{t.states[a.state]}</span>
      </td>
      <td>
        <When at={a.lastEventAt} tz={props.tz} now={props.now} empty={t.never} />
      </td>
      <td class="err-cell">
        {a.lastError ? (
          <>
            <span class="err-text">{a.lastError}</span>
            {a.lastErrorAt ? (
              <span class="muted small">
                {' '}
                · <When at={a.lastErrorAt} tz={props.tz} now={props.now} empty="" />
              </span>
            ) : null}
          </>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td class="acts">
        {a.webhookUrl ? (
          <label class="webhook">
            <span class="small muted">{t.webhook}</span>
            <input
              type="text"
              readonly
              value={a.webhookUrl}
              title={t.webhookHint}
              aria-label={`${t.webhook}: ${a.account}`}
            />
            {secret ? <span class="small muted">{t.secretHint(secret)}</span> : null}
          </label>
        ) : null}
        <div class="row">
          {a.connectable ? (
            <PostForm action={`${base}/connect`} csrf={props.csrf}>
              <button type="submit">{t.connect}</button>
            </PostForm>
          ) : null}
          {a.pairing ? (
            <a class="button primary" href={`${base}/pairing`}>
              {t.pair}
            </a>
          ) : null}
        </div>
        {props.report ? (
          <div class={props.report.ok ? 'report ok' : 'report bad'} role="status">
            <strong>{props.report.ok ? t.connected : t.connectFailed}</strong>
            <pre>{props.report.lines.join('\n')}</pre>
          </div>
        ) : null}
      </td>
    </tr>
  );
}

/** «Каналы»: every account with its state, last event and error; webhook URLs, «Подключить», WhatsApp pairing. */
export function registerAdminChannels(web: Hono<WebEnv>, deps: WebDeps): void {
  const accounts = () =>
    listChannelAccounts({
      sql: deps.sql,
      channels: deps.channels,
      definitions: CHANNELS,
      publicUrl: deps.config.server.publicUrl,
      since: new Date(deps.clock().getTime() - CHANNEL_EVENTS_WINDOW_MS),
    });

  const render = async (
    c: WebContext,
    report?: { channel: string; account: string; report: ConnectReport },
  ) => {
    const list = await accounts();
    const tz = teamTimeZone(deps.config, c.get('user'));
    const now = deps.clock();
    return adminPage(c, deps, {
      tab: 'channels',
      children: (
        <>
          <p class="muted">{t.intro}</p>
          {list.length === 0 ? (
            <p class="empty">{t.none}</p>
          ) : (
            <div class="table-wrap">
              <table class="grid channels">
                <thead>
                  <tr>
                    <th scope="col">{t.channel}</th>
                    <th scope="col">{t.account}</th>
                    <th scope="col">{t.state}</th>
                    <th scope="col">{t.lastEvent}</th>
                    <th scope="col">{t.lastError}</th>
                    <th scope="col">{t.actions}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <AccountRow
                      a={a}
                      csrf={c.get('csrf')}
                      tz={tz}
                      now={now}
                      report={
                        report && report.channel === a.channel && report.account === a.account
                          ? report.report
                          : undefined
                      }
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ),
    });
  };

  web.get('/admin', (c) => render(c));

  web.post(`/admin/channels/:channel${SEGMENT}/:account${SEGMENT}/connect`, async (c) => {
    const { channel, account } = c.req.param();
    const known = (await accounts()).find((a) => a.channel === channel && a.account === account);
    if (!known?.connectable) throw new HttpPageError(404);
    const report = await connectAccount({
      definitions: CHANNELS,
      modules: deps.channels,
      config: deps.config,
      channel,
      account,
    });
    deps.log.info(
      { channel, account, ok: report.ok, actor: `web:${c.get('user').login}` },
      'channel connect',
    );
    return render(c, { channel, account, report });
  });

  web.get(`/admin/channels/:channel${SEGMENT}/:account${SEGMENT}/pairing`, async (c) => {
    const { channel, account } = c.req.param();
    const transport = deps.channels.find((m) => m.name === channel)?.transport;
    const detail = transport?.detail?.(account) as
      | { state?: string; qr?: { dataUrl?: string; issuedAt?: string } }
      | undefined;
    if (!detail) throw new HttpPageError(404);
    const p = ru.admin.pairing;
    const ready = detail.state === 'ready';
    return adminPage(c, deps, {
      tab: 'channels',
      title: p.title(account),
      ...(ready ? {} : { refreshSeconds: 5 }),
      children: (
        <div class="pairing">
          {ready ? (
            <p class="flash">{p.ready}</p>
          ) : detail.qr?.dataUrl ? (
            <>
              <p>{p.scan}</p>
              <img class="qr" src={detail.qr.dataUrl} alt={`QR-код WhatsApp «${account}»`} />
              <p class="muted small">{p.refresh}</p>
            </>
          ) : (
            <p class="muted">{p.waiting}</p>
          )}
          <p>
            <a href="/admin">{p.back}</a>
          </p>
        </div>
      ),
    });
  });
}
