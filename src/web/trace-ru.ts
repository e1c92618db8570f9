import type { RoutingTrace } from '../core/routing-trace.js';
import { regionLabel } from './format.js';
import { ru } from './i18n/ru.js';

/** A client type's name: the config's `routing.clientTypes.labels`, else the built-in Russian one, else the type. */
export const clientTypeLabel = (t: string, labels: Record<string, string> = {}) =>
  labels[t] ?? ru.clientType[t] ?? t;
const channelLabel = (c: string) => ru.channel[c] ?? c;

/**
 * The routing trace in a manager's words. The router writes its reasons in English for the API and logs;
 * the phrases it uses are few and fixed (src/routing/assign.ts, rules.ts), so they are translated here.
 */
const STRATEGY: Record<string, string> = {
  sticky: 'закреплённый менеджер клиента',
  round_robin: 'по очереди среди менеджеров на смене',
  least_loaded: 'наименее загруженный менеджер на смене',
  on_call: 'дежурный, пока отдел не на смене',
  queued: 'ждёт в очереди отдела',
};

const PHRASES: [RegExp, string | ((...m: string[]) => string)][] = [
  [/^no rule matched: the fallback team$/, 'ни одно правило не подошло — отдел по умолчанию'],
  [/^matches every lead$/, 'подходит любой лид'],
  [/^next in rotation among members on shift$/, 'следующий по очереди среди менеджеров на смене'],
  [/^not next in rotation \((.+) is\)$/, (_, who) => `не его очередь (очередь ${who})`],
  [
    /^fewest open leads \((\d+)\) among members on shift$/,
    (_, n) => `меньше всех открытых лидов (${n}) на смене`,
  ],
  [
    /^(\d+) open leads; (.+) has (\d+) and is next in rotation$/,
    (_, n, who, k) => `открытых лидов: ${n}; у ${who} — ${k}`,
  ],
  [/^off shift \(team sticks only on shift\)$/, 'не на смене (закрепление только в рабочее время)'],
  [/^off shift$/, 'не на смене'],
  [/^inactive$/, 'неактивен'],
  [/^not a configured manager$/, 'нет в списке менеджеров'],
  [
    /^at capacity \((\d+)\/(\d+) open leads\)$/,
    (_, n, c) => `загружен полностью (${n} из ${c} открытых лидов)`,
  ],
  [/^not a member of team (.+)$/, (_, t) => `не состоит в отделе ${t}`],
  [/^every member on shift is inactive or at capacity$/, 'все менеджеры на смене заняты или неактивны'],
  [
    /^team (.+) is off shift: waits for the first member on shift$/,
    (_, t) => `отдел ${t} не на смене: лид ждёт первого менеджера смены`,
  ],
  [/^on call while team (.+) is off shift$/, (_, t) => `дежурит, пока отдел ${t} не на смене`],
  [/^responsible of the contact$/, 'ответственный за контакт'],
  [/^responsible of the company$/, 'ответственный за компанию'],
  [/^manager of the last deal$/, 'менеджер последней сделки'],
  [/^manager of the last lead$/, 'менеджер последнего обращения'],
  [/^no rule matched$/, 'ни одно правило не подошло'],
  [/^no signal gave a region$/, 'регион не определён'],
  // Client type (src/routing/client-type.ts) and rule conditions (src/routing/rules.ts).
  [/^keyword "(.+)" in the first message$/, (_, k) => `в первом сообщении есть «${k}»`],
  [/^stated by the CRM on the contact$/, 'указан в CRM у контакта'],
  [/^stated by the CRM on the company$/, 'указан в CRM у компании'],
  [/^stated by the form$/, 'указан в форме'],
  [/^the company has an INN$/, 'у компании есть ИНН'],
  [/^no company INN$/, 'ИНН компании нет'],
  [/^not on the partner list$/, 'нет в списке партнёров'],
  [/^client type ([^,]+)$/, (_, t) => `тип клиента: ${clientTypeLabel(t)}`],
  [/^region known$/, 'регион известен'],
  [/^region unknown$/, 'регион неизвестен'],
  [/^region (\S+)$/, (_, r) => `регион: ${regionLabel(r)}`],
  [/^federal district ([^,]+)$/, (_, d) => `федеральный округ: ${d}`],
  [/^channel (\S+)$/, (_, c) => `канал: ${channelLabel(c)}`],
  [/^source (\S+)$/, (_, a) => `источник: ${a}`],
  [/^new lead$/, 'новый лид'],
  [/^repeat lead$/, 'повторное обращение'],
];

export function translateWhy(text: string): string {
  // A rule's conditions are listed with ", " (client type, keyword, channel): each is translated.
  if (text.includes(', ') && !PHRASES.some(([re]) => re.test(text)))
    return text
      .split(', ')
      .map((p) => translateWhy(p))
      .join(', ');
  for (const part of [text]) {
    const prefixed = /^([a-z ]+?): (.+)$/.exec(part);
    for (const [re, to] of PHRASES) {
      const m = re.exec(part);
      if (m) return typeof to === 'string' ? to : to(...(m as unknown as string[]));
    }
    if (prefixed?.[1] && prefixed[2]) return `${translateWhy(prefixed[1])}: ${translateWhy(prefixed[2])}`;
  }
  return text;
}

export const strategyLabel = (s: string | undefined) => (s ? (STRATEGY[s] ?? s) : undefined);

/** The facts worth showing: client type and region with their reasons. */
export function traceFacts(
  t: RoutingTrace,
  labels: Record<string, string> = {},
): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  const ct = t.facts.clientType as { type?: string; why?: string } | undefined;
  if (ct?.type)
    out.push({
      label: 'Тип клиента',
      value: `${clientTypeLabel(ct.type, labels)}${ct.why ? ` — ${translateWhy(ct.why)}` : ''}`,
    });
  const rg = t.facts.region as { region?: string | null; why?: string } | undefined;
  if (rg)
    out.push({ label: 'Регион', value: rg.region ? regionLabel(rg.region) : translateWhy(rg.why ?? '—') });
  const ruleWhy = typeof t.facts.ruleWhy === 'string' ? translateWhy(t.facts.ruleWhy) : undefined;
  out.push({
    label: 'Правило',
    value: t.rule === 'fallback' ? (ruleWhy ?? t.rule) : `«${t.rule}»${ruleWhy ? ` — ${ruleWhy}` : ''}`,
  });
  return out;
}

const STATUS: Record<string, string> = ru.status;
const statusLabel = (st: string) => STATUS[st] ?? st;
const a = ru.audit;

/** The pipeline's reasons (src/routing/lead-rules.ts, decide.ts; src/crm/merge-contacts.ts), one phrase each. */
const REASONS: [RegExp, (...m: string[]) => string][] = [
  [
    /^(\w+) …(\S{1,4}) matched an existing contact$/,
    (_, kind, tail) => a.matched(`${a.identity[kind!] ?? channelLabel(kind!)} …${tail}`),
  ],
  [/^no identity of the sender was known: new contact$/, () => a.newContact],
  [/^the sender carried no usable identity \(.*\): new contact$/, () => a.noIdentity],
  [/^sent by us: attached to the conversation, never a lead$/, () => a.outbound],
  [
    /^the contact has an active deal (.+?)(?: \(stage "(.*)"\))?$/,
    (_, deal, stage) => a.activeDeal(deal!, stage),
  ],
  [
    /^the contact already has an open lead \(status (\w+)\): no second lead$/,
    (_, st) => a.openLead(statusLabel(st!).toLowerCase()),
  ],
  [/^the contact is a known client without an active deal or open lead: repeat lead$/, () => a.knownClient],
  [/^new lead for a new prospect$/, () => a.newProspect],
  [/^the contact is a prospect without an open lead: new lead$/, () => a.prospect],
  [/^message .+ was edited: the stored text was updated$/, () => a.edited],
  [/^message .+ was already received$/, () => a.duplicate],
  [/^contacts merged: duplicate open lead closed, messages moved to lead \S+$/, () => a.mergedLead],
];

function translateReason(reason: string): string | undefined {
  const parts = reason.split('; ').map((p) => {
    for (const [re, to] of REASONS) {
      const m = re.exec(p);
      if (m) return to(...(m as unknown as string[]));
    }
    return undefined;
  });
  return parts.every((p) => p !== undefined) ? parts.join('; ') : undefined;
}

/**
 * One audit row as a manager reads it, in Russian: what happened and why. Every action and reason the code
 * writes is translated; an unknown one (a newer daemon's) is said neutrally, its original text kept in `raw`
 * for a tooltip, never shown as English in the line.
 */
export function trailLine(
  row: { action: string; reason: string },
  name: (login: string) => string,
): { what: string; detail: string | null; raw?: string } {
  const known = a.actions[row.action];
  const what = known ?? a.unknownAction;
  if (row.action === 'lead.updated') {
    const parts = row.reason
      .replace(/ \((.*)\)$/, '; $1')
      .split('; ')
      .map((p) => {
        const status = /^status (\w+) -> (\w+)$/.exec(p);
        if (status) return `${a.status}: ${statusLabel(status[1]!)} → ${statusLabel(status[2]!)}`;
        const resp = /^responsible (\S+) -> (\S+)$/.exec(p);
        if (resp)
          return `${a.responsible}: ${resp[1] === '-' ? a.none : name(resp[1]!)} → ${resp[2] === '-' ? a.none : name(resp[2]!)}`;
        const deal = /^deal -> (.+)$/.exec(p);
        if (deal) return `${a.deal}: ${deal[1]}`;
        // A person's own comment (the junk reason the page wrote, an API caller's note): shown as written.
        return p;
      });
    return { what, detail: parts.join('; ') };
  }
  if (row.action === 'lead.assigned') {
    const m = /^queued lead assigned to (\S+) \((\w+)\) in team (\S+)$/.exec(row.reason);
    if (m) return { what, detail: `${name(m[1]!)} — ${strategyLabel(m[2]) ?? m[2]}` };
  }
  const detail = row.reason ? translateReason(row.reason) : undefined;
  if (known && detail !== undefined) return { what, detail };
  return { what, detail: detail ?? null, raw: known ? row.reason : `${row.action}: ${row.reason}` };
}

/** Who did it: a person's name for `web:<login>`, else the system's name for it. */
export function actorLabel(actor: string, name: (login: string) => string): string {
  if (actor.startsWith('web:')) return name(actor.slice(4));
  if (actor === 'pipeline') return 'Switchboard';
  if (actor.startsWith('api:')) return `API (${actor.slice(4)})`;
  return actor;
}
