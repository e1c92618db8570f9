import type { Period } from '../../analytics/period.js';
import type {
  BreakdownRow,
  DailyPoint,
  LeadFigures,
  NowFigures,
  SlaFigures,
} from '../../analytics/queries.js';
import { formatWhen, regionLabel } from '../format.js';
import { ru } from '../i18n/ru.js';
import type { Selection } from './dashboard.js';

const t = ru.dashboard;

export interface DashboardData {
  selection: Selection;
  previous: Period;
  timeZone: string;
  at: Date;
  teams: { id: string; name: string }[];
  teamNames: Map<string, string>;
  managerNames: Map<string, string>;
  summary: { current: LeadFigures; previous: LeadFigures };
  sla: { current: SlaFigures; previous: SlaFigures };
  channels: BreakdownRow[];
  byTeam: BreakdownRow[];
  managers: BreakdownRow[];
  regions: BreakdownRow[];
  clientTypes: BreakdownRow[];
  heat: { cells: number[][]; total: number; max: number };
  days: { current: DailyPoint[]; previous: DailyPoint[] };
  waiting: NowFigures;
}

// ---- formatting (numbers, spans, changes) -------------------------------------------------------------------

const int = new Intl.NumberFormat('ru-RU');
const pct1 = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 1 });

/** A span of time as a supervisor reads it: «45 с», «25 мин», «1 ч 20 мин», «2 д 3 ч». */
export function formatSpan(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} с`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} мин`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} ч ${m % 60} мин` : `${h} ч`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} д ${h % 24} ч` : `${d} д`;
}

const rate = (r: number | null) => (r === null ? '—' : `${pct1.format(r * 100)} %`);

type Kind = 'count' | 'seconds' | 'rate';
/** Whether a rise is good news (conversion), bad news (waiting time, breaches) or neither (volume). */
type Better = 'up' | 'down' | 'none';

function value(kind: Kind, v: number | null): string {
  if (kind === 'seconds') return formatSpan(v);
  if (kind === 'rate') return rate(v);
  return v === null ? '—' : int.format(v);
}

function Change(props: { kind: Kind; cur: number | null; prev: number | null; better: Better }) {
  const { kind, cur, prev, better } = props;
  if (cur === null || prev === null)
    return <span class="delta flat">{`${t.before} ${value(kind, prev)}`}</span>;
  const diff = cur - prev;
  const tone = diff === 0 || better === 'none' ? 'flat' : diff > 0 === (better === 'up') ? 'good' : 'bad';
  const arrow = diff > 0 ? '▲' : diff < 0 ? '▼' : '';
  let text: string;
  if (diff === 0) text = t.noChange;
  else if (kind === 'seconds') text = `${diff > 0 ? '+' : '−'}${formatSpan(Math.abs(diff))}`;
  else if (kind === 'rate') text = `${diff > 0 ? '+' : '−'}${pct1.format(Math.abs(diff) * 100)} п. п.`;
  else
    text = `${diff > 0 ? '+' : '−'}${int.format(Math.abs(diff))}${prev > 0 ? ` (${diff > 0 ? '+' : '−'}${pct1.format((Math.abs(diff) / prev) * 100)} %)` : ''}`;
  return (
    <span class={`delta ${tone}`}>
      {arrow ? <span aria-hidden="true">{arrow} </span> : null}
      {text}
      <span class="was">{` · ${t.before} ${value(kind, prev)}`}</span>
    </span>
  );
}

function Kpi(props: {
  figure: string;
  label: string;
  kind: Kind;
  cur: number | null;
  prev?: number | null;
  better: Better;
  hint?: string;
}) {
  return (
    <li class="kpi" data-figure={props.figure} data-value={props.cur === null ? '' : String(props.cur)}>
      <span class="kpi-label">{props.label}</span>
      <strong class="kpi-value">{value(props.kind, props.cur)}</strong>
      {props.prev !== undefined ? (
        <Change kind={props.kind} cur={props.cur} prev={props.prev} better={props.better} />
      ) : null}
      {props.hint ? <span class="kpi-hint">{props.hint}</span> : null}
    </li>
  );
}

// ---- period ----------------------------------------------------------------------------------------------------

function dayRange(p: Period, tz: string): string {
  const f = new Intl.DateTimeFormat('ru-RU', { timeZone: tz, day: 'numeric', month: 'short' });
  const first = f.format(p.from);
  const last = f.format(new Date(Math.max(p.from.getTime(), p.to.getTime() - 1)));
  return first === last ? first : `${first} – ${last}`;
}

function exportHref(what: string, d: DashboardData): string {
  const [path, by] = what.startsWith('by:') ? ['breakdown', what.slice(3)] : [what, undefined];
  const q = new URLSearchParams();
  if (path !== 'now') {
    q.set('from', d.selection.period.from.toISOString());
    q.set('to', d.selection.period.to.toISOString());
  }
  if (by) q.set('by', by);
  if (d.selection.team) q.set('team', d.selection.team);
  q.set('format', 'csv');
  return `/api/v1/analytics/${path}?${q}`;
}

function Toolbar({ d }: { d: DashboardData }) {
  const s = d.selection;
  const href = (preset: string) =>
    `/dashboard?period=${preset}${s.team ? `&team=${encodeURIComponent(s.team)}` : ''}`;
  const exports: [string, string][] = [
    ['summary', t.exports.summary],
    ['sla', t.exports.sla],
    ['by:channel', t.exports.channel],
    ['by:region', t.exports.region],
    ['by:clientType', t.exports.clientType],
    ['by:team', t.exports.team],
    ['by:manager', t.exports.manager],
    ['heatmap', t.exports.heatmap],
    ['daily', t.exports.daily],
    ['now', t.exports.now],
  ];
  return (
    <div class="dash-tools">
      <nav class="presets" aria-label={t.custom}>
        {(['today', '7d', '30d'] as const).map((p) => (
          <a href={href(p)} aria-current={s.preset === p ? 'true' : undefined}>
            {t.presets[p]}
          </a>
        ))}
      </nav>
      <form method="get" action="/dashboard" class="custom-period">
        <input type="hidden" name="period" value="custom" />
        <label>
          {t.from}{' '}
          <input type="date" name="from" value={s.fromDay} required aria-label={`${t.custom}: ${t.from}`} />
        </label>
        <label>
          {t.to} <input type="date" name="to" value={s.toDay} required aria-label={`${t.custom}: ${t.to}`} />
        </label>
        {d.teams.length > 1 ? (
          <select name="team" aria-label={t.team}>
            <option value="">{t.allTeams}</option>
            {d.teams.map((team) => (
              <option value={team.id} selected={s.team === team.id}>
                {team.name}
              </option>
            ))}
          </select>
        ) : null}
        <button type="submit" class={s.preset === 'custom' ? 'primary' : undefined}>
          {t.show}
        </button>
      </form>
      <details class="exports">
        <summary class="button">{t.export}</summary>
        <ul class="plain">
          {exports.map(([what, label]) => (
            <li>
              <a href={exportHref(what, d)} download>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}

// ---- charts (drawn by /assets/dashboard.js with Chart.js from the data attribute) ---------------------------

function chartData(d: DashboardData) {
  const day = (iso: string) => `${iso.slice(8, 10)}.${iso.slice(5, 7)}`;
  const channelName = (k: string | null) => (k ? (ru.channel[k] ?? k) : t.tables.unknown);
  return {
    daily: {
      labels: d.days.current.map((p) => day(p.date)),
      previousLabels: d.days.previous.map((p) => day(p.date)),
      current: d.days.current.map((p) => p.leads),
      previous: d.days.previous.map((p) => p.leads),
    },
    channels: {
      labels: d.channels.map((r) => channelName(r.key)),
      current: d.channels.map((r) => r.leads),
      previous: d.channels.map((r) => r.previousLeads),
    },
    names: { current: t.charts.current, previous: t.charts.previous },
  };
}

function Heatmap({ heat }: { heat: DashboardData['heat'] }) {
  const level = (n: number) => (n === 0 || heat.max === 0 ? 0 : Math.max(1, Math.ceil((n / heat.max) * 5)));
  return (
    <div class="heatmap-wrap">
      <table class="heatmap" aria-label={t.charts.heatmap}>
        <thead>
          <tr>
            <th scope="col">
              <span class="sr">{t.charts.heatmap}</span>
            </th>
            {Array.from({ length: 24 }, (_, h) => (
              <th scope="col">{h % 3 === 0 ? String(h).padStart(2, '0') : ''}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {heat.cells.map((row, i) => (
            <tr>
              <th scope="row">{t.weekdays[i]}</th>
              {row.map((n, h) => (
                <td
                  class={`hm${level(n)}`}
                  title={t.charts.heatmapCell(t.weekdays[i]!, h, n)}
                  data-count={String(n)}
                >
                  {n > 0 ? int.format(n) : ''}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// ---- tables ----------------------------------------------------------------------------------------------------

function BreakdownTable(props: {
  caption: string;
  by: 'team' | 'manager' | 'region' | 'clientType';
  rows: BreakdownRow[];
  label: (key: string | null) => string;
}) {
  const openNow = props.by === 'team' || props.by === 'manager';
  return (
    <section class="panel" aria-labelledby={`t-${props.by}`}>
      <h2 id={`t-${props.by}`}>{props.caption}</h2>
      {props.rows.length === 0 ? (
        <p class="empty">{t.tables.empty}</p>
      ) : (
        <table class="figures" data-breakdown={props.by}>
          <thead>
            <tr>
              <th scope="col">{t.tables.key[props.by]}</th>
              <th scope="col">{t.tables.leads}</th>
              <th scope="col">{t.tables.previous}</th>
              {openNow ? <th scope="col">{t.tables.openNow}</th> : null}
              <th scope="col">{t.tables.taken}</th>
              <th scope="col">{t.tables.firstResponse}</th>
              <th scope="col">{t.tables.conversion}</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr data-key={r.key ?? ''}>
                <th scope="row">{props.label(r.key)}</th>
                <td data-col="leads">{int.format(r.leads)}</td>
                <td class="muted">{int.format(r.previousLeads)}</td>
                {openNow ? <td data-col="openNow">{int.format(r.openNow ?? 0)}</td> : null}
                <td>{formatSpan(r.takenMedianSeconds)}</td>
                <td>{formatSpan(r.firstResponseMedianSeconds)}</td>
                <td>{rate(r.conversionRate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const STATUSES = ['sent', 'pending', 'failed', 'cancelled'] as const;

function SlaPanel({ sla }: { sla: DashboardData['sla'] }) {
  const steps = [
    ...new Set([...sla.current.steps.map((s) => s.step), ...sla.current.alerts.map((a) => a.step)]),
  ];
  const count = (step: string, status: string) =>
    sla.current.alerts
      .filter(
        (a) => a.step === step && (a.status === status || (status === 'pending' && a.status === 'sending')),
      )
      .reduce((n, a) => n + a.count, 0);
  return (
    <section class="panel" aria-labelledby="t-sla">
      <h2 id="t-sla">{t.sla.title}</h2>
      {steps.length === 0 ? (
        <p class="empty">{t.sla.none}</p>
      ) : (
        <table class="figures" data-table="sla">
          <thead>
            <tr>
              <th scope="col">{t.sla.step}</th>
              <th scope="col">{t.sla.fired}</th>
              {STATUSES.map((s) => (
                <th scope="col">{t.sla[s]}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {steps.map((step) => (
              <tr data-step={step}>
                <th scope="row">{step}</th>
                <td>{int.format(sla.current.steps.find((s) => s.step === step)?.fired ?? 0)}</td>
                {STATUSES.map((s) => (
                  <td class={s === 'failed' && count(step, s) > 0 ? 'bad' : undefined}>
                    {int.format(count(step, s))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function WaitingPanel({ d }: { d: DashboardData }) {
  const team = (id: string | null) => (id ? (d.teamNames.get(id) ?? id) : t.tables.noTeam);
  return (
    <section class="panel" aria-labelledby="t-waiting">
      <h2 id="t-waiting">{t.waiting.title}</h2>
      {d.waiting.oldest.length === 0 ? (
        <p class="empty">{t.waiting.none}</p>
      ) : (
        <ul class="plain waiting">
          {d.waiting.oldest.map((l) => (
            <li>
              <a href={`/leads/${l.id}`}>{l.contactName ?? ru.inbox.noName}</a>
              <span class="muted">
                {`${team(l.team)} · ${ru.channel[l.channel] ?? l.channel} · ${t.waiting.since} ${formatWhen(l.firstContactAt, d.timeZone, d.at)}`}
              </span>
              {l.queuedAt ? <span class="tag">{t.waiting.queued}</span> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

// ---- the page ----------------------------------------------------------------------------------------------------

export function DashboardView({ data: d }: { data: DashboardData }) {
  const cur = d.summary.current;
  const prev = d.summary.previous;
  const team = (id: string | null) => (id ? (d.teamNames.get(id) ?? id) : t.tables.noTeam);
  const manager = (login: string | null) => (login ? (d.managerNames.get(login) ?? login) : t.tables.nobody);
  const region = (id: string | null) => (id ? regionLabel(id) : t.tables.unknown);
  const clientType = (k: string | null) => (k ? (ru.clientType[k] ?? k) : t.tables.unknown);
  return (
    <section class="page dashboard">
      <header class="page-head">
        <div>
          <h1>{t.title}</h1>
          <p class="muted period-note">
            {t.periodNote(dayRange(d.selection.period, d.timeZone), dayRange(d.previous, d.timeZone))}
            {d.selection.team ? ` · ${team(d.selection.team)}` : ''}
          </p>
        </div>
      </header>
      <Toolbar d={d} />
      {d.selection.problem ? (
        <p class="error" role="alert">
          {d.selection.problem}
        </p>
      ) : null}

      <ul class="plain kpis">
        <Kpi
          figure="newLeads"
          label={t.kpi.newLeads}
          kind="count"
          cur={cur.newLeads}
          prev={prev.newLeads}
          better="none"
        />
        <Kpi
          figure="repeatLeads"
          label={t.kpi.repeatLeads}
          kind="count"
          cur={cur.repeatLeads}
          prev={prev.repeatLeads}
          better="none"
        />
        <Kpi
          figure="attached"
          label={t.kpi.attached}
          kind="count"
          cur={cur.attachedToLead + cur.attachedToDeal}
          prev={prev.attachedToLead + prev.attachedToDeal}
          better="none"
          hint={t.kpi.attachedHint(cur.attachedToLead, cur.attachedToDeal)}
        />
        <Kpi
          figure="takenMedianSeconds"
          label={t.kpi.taken}
          kind="seconds"
          cur={cur.takenMedianSeconds}
          prev={prev.takenMedianSeconds}
          better="down"
          hint={cur.takenP90Seconds === null ? undefined : t.kpi.takenP90(formatSpan(cur.takenP90Seconds))}
        />
        <Kpi
          figure="firstResponseMedianSeconds"
          label={t.kpi.firstResponse}
          kind="seconds"
          cur={cur.firstResponseMedianSeconds}
          prev={prev.firstResponseMedianSeconds}
          better="down"
          hint={t.kpi.firstResponseHint(cur.responded, cur.leads)}
        />
        <Kpi
          figure="conversionRate"
          label={t.kpi.conversion}
          kind="rate"
          cur={cur.conversionRate}
          prev={prev.conversionRate}
          better="up"
          hint={t.kpi.conversionHint(cur.converted, cur.junk)}
        />
        <Kpi
          figure="breachedLeads"
          label={t.kpi.breaches}
          kind="count"
          cur={d.sla.current.breachedLeads}
          prev={d.sla.previous.breachedLeads}
          better="down"
          hint={t.kpi.breachesHint}
        />
        <Kpi
          figure="unowned"
          label={t.kpi.unowned}
          kind="count"
          cur={d.waiting.unowned}
          better="down"
          hint={t.kpi.waiting(d.waiting.waitingForShift)}
        />
      </ul>

      <div class="dash-grid" id="dash-charts" data-charts={JSON.stringify(chartData(d))}>
        <section class="panel wide" aria-labelledby="c-daily">
          <h2 id="c-daily">{t.charts.daily}</h2>
          <div class="chart-box">
            <canvas id="chart-daily" role="img" aria-label={t.charts.daily}></canvas>
          </div>
        </section>
        <section class="panel" aria-labelledby="c-channels">
          <h2 id="c-channels">{t.charts.channels}</h2>
          <div class="chart-box">
            <canvas id="chart-channels" role="img" aria-label={t.charts.channels}></canvas>
          </div>
        </section>
      </div>

      <section class="panel" aria-labelledby="c-heat">
        <h2 id="c-heat">{t.charts.heatmap}</h2>
        <p class="muted small">{t.charts.heatmapNote}</p>
        <Heatmap heat={d.heat} />
      </section>

      <div class="dash-grid">
        <BreakdownTable caption={t.tables.teams} by="team" rows={d.byTeam} label={team} />
        <BreakdownTable caption={t.tables.managers} by="manager" rows={d.managers} label={manager} />
        <BreakdownTable caption={t.tables.regions} by="region" rows={d.regions} label={region} />
        <BreakdownTable
          caption={t.tables.clientTypes}
          by="clientType"
          rows={d.clientTypes}
          label={clientType}
        />
        <SlaPanel sla={d.sla} />
        <WaitingPanel d={d} />
      </div>
    </section>
  );
}
