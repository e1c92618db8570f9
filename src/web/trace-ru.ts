import type { RoutingTrace } from '../core/routing-trace.js';
import { regionLabel } from './format.js';
import { ru } from './i18n/ru.js';

export const clientTypeLabel = (t: string) => ru.clientType[t] ?? t;
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
export function traceFacts(t: RoutingTrace): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  const ct = t.facts.clientType as { type?: string; why?: string } | undefined;
  if (ct?.type)
    out.push({
      label: 'Тип клиента',
      value: `${clientTypeLabel(ct.type)}${ct.why ? ` — ${translateWhy(ct.why)}` : ''}`,
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

const ACTIONS: Record<string, string> = {
  'decision.new_lead': 'Новый лид',
  'decision.repeat_lead': 'Повторное обращение клиента',
  'decision.attached_to_lead': 'Сообщение добавлено к открытому лиду',
  'decision.attached_to_deal': 'Сообщение добавлено к сделке',
  'decision.outbound': 'Исходящее сообщение',
  'decision.duplicate': 'Повтор того же сообщения',
  'lead.updated': 'Изменение',
  'lead.assigned': 'Назначен менеджер',
  'lead.merged': 'Закрыт при объединении контактов',
};

const STATUS: Record<string, string> = {
  new: 'Новый',
  in_progress: 'В работе',
  converted: 'Сделка',
  junk: 'Некачественный',
};

/**
 * One audit row as a manager reads it: what happened, in Russian. Changes by people (`lead.updated`) are
 * spelled out; the pipeline's own explanations stay as written (they name rules and masked identities).
 */
export function trailLine(
  row: { action: string; reason: string },
  name: (login: string) => string,
): { what: string; detail: string | null } {
  const what = ACTIONS[row.action] ?? row.action;
  if (row.action === 'lead.updated') {
    const parts = row.reason
      .replace(/ \((.*)\)$/, '; $1')
      .split('; ')
      .map((p) => {
        const status = /^status (\w+) -> (\w+)$/.exec(p);
        if (status) return `статус: ${STATUS[status[1]!] ?? status[1]} → ${STATUS[status[2]!] ?? status[2]}`;
        const resp = /^responsible (\S+) -> (\S+)$/.exec(p);
        if (resp)
          return `ответственный: ${resp[1] === '-' ? 'нет' : name(resp[1]!)} → ${resp[2] === '-' ? 'нет' : name(resp[2]!)}`;
        const deal = /^deal -> (.+)$/.exec(p);
        if (deal) return `сделка: ${deal[1]}`;
        return p;
      });
    return { what, detail: parts.join('; ') };
  }
  if (row.action === 'lead.assigned') {
    const m = /^queued lead assigned to (\S+) \((\w+)\) in team (\S+)$/.exec(row.reason);
    if (m) return { what, detail: `${name(m[1]!)} — ${strategyLabel(m[2]) ?? m[2]}` };
  }
  return { what, detail: row.reason };
}

/** Who did it: a person's name for `web:<login>`, else the system's name for it. */
export function actorLabel(actor: string, name: (login: string) => string): string {
  if (actor.startsWith('web:')) return name(actor.slice(4));
  if (actor === 'pipeline') return 'Switchboard';
  if (actor.startsWith('api:')) return `API (${actor.slice(4)})`;
  return actor;
}
