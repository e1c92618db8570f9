import type { Hono } from 'hono';
import { z } from 'zod';
import { startOfLocalDay } from '../../../core/working-hours.js';
import { type AuditSearch, searchAudit } from '../../../db/repos/audit.js';
import type { WebDeps, WebEnv } from '../../context.js';
import { formatExact, formatWhen } from '../../format.js';
import { ru } from '../../i18n/ru.js';
import { teamTimeZone } from '../../services/users.js';
import { actorLabel, trailLine } from '../../trace-ru.js';
import { adminPage } from './frame.js';

const t = ru.admin.audit;
const PAGE = 50;
/** Actions and families to filter by (a family ends with a dot). */
const ACTIONS: [string, string][] = [
  ['decision.', 'Решения по обращениям (все)'],
  ['decision.new_lead', 'Новый лид'],
  ['decision.repeat_lead', 'Повторное обращение'],
  ['skipped.', 'Пропущенные обращения'],
  ['lead.updated', 'Изменение лида'],
  ['lead.assigned', 'Назначен менеджер'],
  ['lead.merged', 'Лид закрыт при объединении'],
  ['contact.', 'Контакты (CRM, объединения)'],
  ['company.', 'Компании (CRM)'],
  ['deal.', 'Сделки (CRM)'],
  ['merge', 'Объединение контактов'],
  ['dismiss', 'Отклонённые дубли'],
  ['inbound_event.retry', 'Повтор события'],
];
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .optional()
  .catch(undefined);
const query = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  entity: z.string().trim().optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  before: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional()
    .catch(undefined),
});

/** «Журнал»: the audit trail with filters (period, lead/contact, actor, action), 50 rows a page. */
export function registerAdminAudit(web: Hono<WebEnv>, deps: WebDeps): void {
  const names = new Map(deps.config.managers.map((m) => [m.login, m.name]));
  const name = (login: string) => names.get(login) ?? login;
  const actors: [string, string][] = [
    ...deps.config.managers.map((m): [string, string] => [`web:${m.login}`, m.name]),
    ...deps.config.api.tokens.map((x): [string, string] => [`api:${x.name}`, `API (${x.name})`]),
    ['pipeline', 'Switchboard'],
    ['assigner', 'Распределение очереди'],
  ];

  web.get('/admin/audit', async (c) => {
    const q = query.parse(c.req.query());
    const tz = teamTimeZone(deps.config, c.get('user'));
    const now = deps.clock();
    const errors: string[] = [];
    const day = (v: string | undefined) => {
      if (!v) return undefined;
      const ok = date.parse(v);
      if (!ok) {
        errors.push(t.badDate);
        return undefined;
      }
      return startOfLocalDay(new Date(`${ok}T12:00:00Z`), tz);
    };
    const from = day(q.from);
    const toDay = day(q.to);
    const entity = q.entity ? z.uuid().safeParse(q.entity.toLowerCase()) : undefined;
    if (entity && !entity.success) errors.push(t.badEntity);
    const filter: AuditSearch = {
      ...(from ? { from } : {}),
      // «По» includes the whole day.
      ...(toDay ? { to: new Date(toDay.getTime() + 86_400_000) } : {}),
      ...(entity?.success ? { entityId: entity.data } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.before ? { beforeId: q.before } : {}),
      limit: PAGE,
    };
    const rows = errors.length > 0 ? [] : await searchAudit(deps.sql, filter);
    const params = new URLSearchParams(
      Object.entries({ from: q.from, to: q.to, entity: q.entity, actor: q.actor, action: q.action }).filter(
        (e): e is [string, string] => !!e[1],
      ),
    );
    const next =
      rows.length === PAGE ? `/admin/audit?${params}&before=${rows[rows.length - 1]!.id}` : undefined;
    return adminPage(c, deps, {
      tab: 'audit',
      error: errors[0],
      ...(errors.length > 0 ? { status: 400 as const } : {}),
      children: (
        <>
          <p class="muted">{t.intro}</p>
          <form method="get" action="/admin/audit" class="filters audit-filters">
            <label>
              {t.from}
              <input type="date" name="from" value={q.from ?? ''} />
            </label>
            <label>
              {t.to}
              <input type="date" name="to" value={q.to ?? ''} />
            </label>
            <label>
              {t.entity}
              <input type="text" name="entity" value={q.entity ?? ''} size={38} />
            </label>
            <label>
              {t.actor}
              <select name="actor">
                <option value="">{t.any}</option>
                {actors.map(([v, label]) => (
                  <option value={v} selected={v === q.actor}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t.action}
              <select name="action">
                <option value="">{t.any}</option>
                {ACTIONS.map(([v, label]) => (
                  <option value={v} selected={v === q.action}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" class="primary">
              {t.submit}
            </button>
            <a href="/admin/audit">{t.reset}</a>
          </form>
          {rows.length === 0 ? (
            <p class="empty">{t.empty}</p>
          ) : (
            <div class="table-wrap">
              <table class="grid audit">
                <thead>
                  <tr>
                    <th scope="col">{t.at}</th>
                    <th scope="col">{t.actor}</th>
                    <th scope="col">{t.what}</th>
                    <th scope="col">{t.object}</th>
                    <th scope="col">{t.reason}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => {
                    const line = trailLine(r, name);
                    return (
                      <tr>
                        <td>
                          <time datetime={r.at.toISOString()} title={formatExact(r.at, tz)}>
                            {formatWhen(r.at, tz, now)}
                          </time>
                        </td>
                        <td>{actorLabel(r.actor, name)}</td>
                        <td>{line.what}</td>
                        <td>
                          {t.entities[r.entityType] ?? r.entityType}{' '}
                          {r.entityType === 'lead' ? (
                            <a href={`/leads/${r.entityId}`}>{r.entityId.slice(0, 8)}</a>
                          ) : (
                            <a href={`/admin/audit?entity=${r.entityId}`}>{r.entityId.slice(0, 8)}</a>
                          )}
                        </td>
                        <td class="detail">{line.detail}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          <p class="row">
            {q.before ? <a href={`/admin/audit?${params}`}>{t.first}</a> : null}
            {next ? <a href={next}>{t.next}</a> : null}
          </p>
        </>
      ),
    });
  });
}
