import type { BreakdownRow, DailyPoint, LeadFigures, NowFigures, SlaFigures } from './queries.js';

type Cell = string | number | boolean | null | undefined | Date;

/**
 * RFC 4180 CSV (CRLF, quotes doubled) with a BOM so spreadsheet programs read UTF-8. A text cell starting with
 * = + - @ (a client's name, say) is prefixed with ' so a spreadsheet never runs it as a formula.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cell = (v: Cell): string => {
    if (v === null || v === undefined) return '';
    if (v instanceof Date) return v.toISOString();
    if (typeof v !== 'string') return String(v);
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return `\uFEFF${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

const SUMMARY_FIELDS: (keyof LeadFigures)[] = [
  'leads',
  'newLeads',
  'repeatLeads',
  'attachedToLead',
  'attachedToDeal',
  'open',
  'taken',
  'takenMedianSeconds',
  'takenP90Seconds',
  'responded',
  'firstResponseMedianSeconds',
  'firstResponseP90Seconds',
  'converted',
  'junk',
  'conversionRate',
];

export function summaryCsv(s: { current: LeadFigures; previous: LeadFigures }): string {
  return toCsv(
    ['figure', 'current', 'previous'],
    SUMMARY_FIELDS.map((f) => [f, s.current[f], s.previous[f]]),
  );
}

export function slaCsv(s: { current: SlaFigures; previous: SlaFigures }): string {
  const rows: Cell[][] = [['breached_leads', '', '', '', s.current.breachedLeads, s.previous.breachedLeads]];
  const stepKeys = new Set([...s.current.steps, ...s.previous.steps].map((x) => x.step));
  for (const step of stepKeys)
    rows.push([
      'step_fired',
      step,
      '',
      '',
      s.current.steps.find((x) => x.step === step)?.fired ?? 0,
      s.previous.steps.find((x) => x.step === step)?.fired ?? 0,
    ]);
  const key = (a: { step: string; channel: string; status: string }) => `${a.step}|${a.channel}|${a.status}`;
  const alertKeys = new Map([...s.current.alerts, ...s.previous.alerts].map((a) => [key(a), a]));
  for (const [k, a] of alertKeys)
    rows.push([
      'alerts',
      a.step,
      a.channel,
      a.status,
      s.current.alerts.find((x) => key(x) === k)?.count ?? 0,
      s.previous.alerts.find((x) => key(x) === k)?.count ?? 0,
    ]);
  return toCsv(['figure', 'step', 'channel', 'status', 'current', 'previous'], rows);
}

export function breakdownCsv(by: string, rows: BreakdownRow[]): string {
  return toCsv(
    [
      by,
      'leads',
      'previous_leads',
      'open',
      'open_now',
      'taken_median_seconds',
      'first_response_median_seconds',
      'converted',
      'conversion_rate',
      'previous_conversion_rate',
    ],
    rows.map((r) => [
      r.key,
      r.leads,
      r.previousLeads,
      r.open,
      r.openNow,
      r.takenMedianSeconds,
      r.firstResponseMedianSeconds,
      r.converted,
      r.conversionRate,
      r.previousConversionRate,
    ]),
  );
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export function heatmapCsv(h: { cells: number[][] }): string {
  return toCsv(
    ['weekday', ...Array.from({ length: 24 }, (_, i) => String(i))],
    h.cells.map((row, i) => [WEEKDAYS[i]!, ...row]),
  );
}

export function dailyCsv(d: { current: DailyPoint[]; previous: DailyPoint[] }): string {
  return toCsv(
    ['date', 'leads', 'new_leads', 'repeat_leads', 'converted', 'previous_date', 'previous_leads'],
    d.current.map((p, i) => [
      p.date,
      p.leads,
      p.newLeads,
      p.repeatLeads,
      p.converted,
      d.previous[i]?.date,
      d.previous[i]?.leads,
    ]),
  );
}

export function nowCsv(n: NowFigures): string {
  return toCsv(
    ['team', 'unowned', 'waiting_for_shift', 'oldest_first_contact_at'],
    n.teams.map((t) => [t.team, t.unowned, t.waitingForShift, t.oldestAt]),
  );
}
