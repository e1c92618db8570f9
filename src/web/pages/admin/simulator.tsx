import type { Hono } from 'hono';
import { toCommunication } from '../../../channels/api/normalize.js';
import { inboundApiSchema } from '../../../channels/api/schema.js';
import { CHANNEL_KINDS } from '../../../core/communication.js';
import type { RoutingTrace } from '../../../core/routing-trace.js';
import { simulateCommunication, simulatorDeps } from '../../../routing/simulate.js';
import type { WebContext, WebDeps, WebEnv } from '../../context.js';
import { ru } from '../../i18n/ru.js';
import { strategyLabel, traceFacts, translateWhy } from '../../trace-ru.js';
import { adminPage } from './frame.js';

const t = ru.admin.simulator;

interface Form {
  phone: string;
  email: string;
  channel: string;
  text: string;
}

type Outcome = Awaited<ReturnType<typeof simulateCommunication>>;

function Result(props: { r: Outcome; deps: WebDeps }) {
  const { r, deps } = props;
  const name = (login: string) => deps.config.managers.find((m) => m.login === login)?.name ?? login;
  const team = (id: string) => deps.config.teams.find((x) => x.id === id)?.name ?? id;
  const trace = r.routing as RoutingTrace | null;
  return (
    <section class="sim-result" aria-label={t.result}>
      <h2>{t.result}</h2>
      <dl class="facts">
        <dt>{t.decision}</dt>
        <dd>{t.kinds[r.decision.kind] ?? r.decision.kind}</dd>
        {r.team ? (
          <>
            <dt>{t.team}</dt>
            <dd data-testid="sim-team">{team(r.team)}</dd>
            <dt>{t.manager}</dt>
            <dd data-testid="sim-manager">{r.responsible ? name(r.responsible) : t.nobody}</dd>
          </>
        ) : null}
        {trace
          ? traceFacts(trace).map((f) => (
              <>
                <dt>{f.label}</dt>
                <dd>{f.value}</dd>
              </>
            ))
          : null}
        {trace?.strategy ? (
          <>
            <dt>{ru.lead.strategy}</dt>
            <dd>{strategyLabel(trace.strategy)}</dd>
          </>
        ) : null}
        {trace?.queued ? (
          <>
            <dt>Очередь</dt>
            <dd>{translateWhy(trace.queued.why)}</dd>
          </>
        ) : null}
      </dl>
      {!r.routed ? <p class="muted">{t.notRouted}</p> : null}
      {trace && trace.candidates.length > 0 ? (
        <>
          <h3>{ru.lead.candidates}</h3>
          <ul class="plain candidates">
            {trace.candidates.map((c) => (
              <li class={c.outcome}>
                {c.outcome === 'chosen' ? '✓ ' : '· '}
                {name(c.manager)}: <span class="muted">{translateWhy(c.why)}</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** «Симулятор маршрутизации»: a phone, an email, a channel and a text → team, manager and why (writes nothing). */
export function registerAdminSimulator(web: Hono<WebEnv>, deps: WebDeps): void {
  const sim = simulatorDeps(deps);

  const render = (
    c: WebContext,
    form: Form,
    o: { result?: Outcome; error?: string; status?: 200 | 400 } = {},
  ) =>
    adminPage(c, deps, {
      tab: 'simulator',
      error: o.error,
      ...(o.status ? { status: o.status } : {}),
      children: (
        <>
          <p class="muted">{t.intro}</p>
          <form method="post" action="/admin/simulator" class="sim-form">
            <input type="hidden" name="_csrf" value={c.get('csrf')} />
            <div class="field">
              <label for="sim-phone">{t.phone}</label>
              <input
                id="sim-phone"
                type="tel"
                name="phone"
                value={form.phone}
                placeholder="+7 912 345-67-89"
              />
            </div>
            <div class="field">
              <label for="sim-email">{t.email}</label>
              <input
                id="sim-email"
                type="email"
                name="email"
                value={form.email}
                placeholder="client@example.ru"
              />
            </div>
            <div class="field">
              <label for="sim-channel">{t.channel}</label>
              <select id="sim-channel" name="channel">
                {CHANNEL_KINDS.map((k) => (
                  <option value={k} selected={k === form.channel}>
                    {ru.channelFilter[k] ?? ru.channel[k] ?? k}
                  </option>
                ))}
              </select>
            </div>
            <div class="field wide">
              <label for="sim-text">{t.text}</label>
              <textarea id="sim-text" name="text" rows={3}>
                {form.text}
              </textarea>
            </div>
            <div>
              <button type="submit" class="primary">
                {t.submit}
              </button>
            </div>
          </form>
          {o.result ? <Result r={o.result} deps={deps} /> : null}
        </>
      ),
    });

  web.get('/admin/simulator', (c) => render(c, { phone: '', email: '', channel: 'webform', text: '' }));

  web.post('/admin/simulator', async (c) => {
    const body = await c.req.parseBody();
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
    const form: Form = {
      phone: field('phone'),
      email: field('email'),
      channel: field('channel') || 'webform',
      text: field('text'),
    };
    if (!form.phone && !form.email) return render(c, form, { error: t.needParty, status: 400 });
    const parsed = inboundApiSchema.safeParse({
      channel: form.channel,
      account: 'simulator',
      direction: 'in',
      occurredAt: deps.clock().toISOString(),
      from: { phones: form.phone ? [form.phone] : [], emails: form.email ? [form.email] : [] },
      ...(form.text ? { text: form.text } : {}),
    });
    if (!parsed.success) return render(c, form, { error: ru.errors.byCode.validation_failed, status: 400 });
    const result = await simulateCommunication(sim, toCommunication(parsed.data), {});
    return render(c, form, { result });
  });
}
