import type { Hono } from 'hono';
import { WEEKDAYS } from '../../../core/working-hours.js';
import { createTeamOverview, type TeamOverview } from '../../../routing/team-overview.js';
import type { WebDeps, WebEnv } from '../../context.js';
import { formatWhen } from '../../format.js';
import { ru } from '../../i18n/ru.js';
import { adminPage } from './frame.js';

const t = ru.admin.teams;

function Hours(props: { hours: TeamOverview[number]['hours'] }) {
  if (!props.hours) return <span>{t.allDay}</span>;
  const hours = props.hours as Record<string, string[] | undefined>;
  return (
    <ul class="plain hours">
      {WEEKDAYS.map((d) => (
        <li>
          <span class="day">{t.days[d]}</span> {hours[d]?.length ? hours[d]!.join(', ') : t.dayOff}
        </li>
      ))}
    </ul>
  );
}

/** «Команды и смены»: teams, managers and their hours as configured, who is on shift now, queues and loads. */
export function registerAdminTeams(web: Hono<WebEnv>, deps: WebDeps): void {
  const overview = createTeamOverview(deps.config);
  const name = (login: string | null) =>
    login ? (deps.config.managers.find((m) => m.login === login)?.name ?? login) : '—';

  web.get('/admin/teams', async (c) => {
    const now = deps.clock();
    const teams = await overview.teams(deps.sql, now);
    const onShift = [
      ...new Set(teams.flatMap((x) => x.members.filter((m) => m.onShiftNow).map((m) => m.name))),
    ];
    return adminPage(c, deps, {
      tab: 'teams',
      children: (
        <>
          <p class="muted">{t.intro}</p>
          <p>
            <strong>{t.nowOnShift}:</strong> {onShift.length > 0 ? onShift.join(', ') : t.nobodyOnShift}
          </p>
          <div class="team-cards">
            {teams.map((team) => (
              <article class="team-card" aria-label={team.name}>
                <header class="row">
                  <h2>{team.name}</h2>
                  <span class={`state ${team.onShiftNow ? 'state-ok' : 'state-stopped'}`}>
                    {team.onShiftNow ? t.onShift : t.offShift}
                  </span>
                </header>
                {!team.onShiftNow && team.nextShiftStart ? (
                  <p class="muted small">
                    {t.nextShift}: {formatWhen(new Date(team.nextShiftStart), team.timeZone, now)}
                  </p>
                ) : null}
                <dl class="facts">
                  <dt>{t.supervisor}</dt>
                  <dd>{name(team.supervisor)}</dd>
                  <dt>{t.onCall}</dt>
                  <dd>{name(team.onCall)}</dd>
                  <dt>{t.assignment}</dt>
                  <dd>{t.assignments[team.assignment] ?? team.assignment}</dd>
                  <dt>{t.queued}</dt>
                  <dd>{team.queuedLeads}</dd>
                  <dt>{t.timeZone}</dt>
                  <dd>{team.timeZone}</dd>
                  <dt>{t.hours}</dt>
                  <dd>
                    <Hours hours={team.hours} />
                  </dd>
                </dl>
                <table class="grid">
                  <thead>
                    <tr>
                      <th scope="col">{t.member}</th>
                      <th scope="col">{ru.admin.channels.state}</th>
                      <th scope="col">{t.openLeads}</th>
                      <th scope="col">{t.capacity}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {team.members.map((m) => (
                      <tr>
                        <td>{m.name}</td>
                        <td>
                          {!m.active ? (
                            <span class="state state-stopped">{t.inactive}</span>
                          ) : (
                            <span class={`state ${m.onShiftNow ? 'state-ok' : 'state-waiting'}`}>
                              {m.onShiftNow ? t.onShift : t.offShift}
                            </span>
                          )}
                        </td>
                        <td>{m.openLeads}</td>
                        <td>{m.capacity ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </article>
            ))}
          </div>
        </>
      ),
    });
  });
}
