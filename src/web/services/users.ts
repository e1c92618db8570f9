import type { Config } from '../../config/schema.js';

export type Role = 'manager' | 'supervisor' | 'admin';

/** A signed-in person and what they may see (computed from the config once per request). */
export interface WebUser {
  login: string;
  name: string;
  role: Role;
  /** Teams whose leads the person sees; `all` for admins (and supervisors who lead no team). */
  teams: string[];
  all: boolean;
}

/**
 * The config's view of a person. A team's supervisor counts as a supervisor even without `role`; a manager sees
 * the teams they are a member of, a supervisor also the teams they lead, an admin everything.
 */
export function webUser(config: Config, login: string): WebUser | undefined {
  const m = config.managers.find((x) => x.login === login && x.active);
  if (!m) return undefined;
  const leads = config.teams.filter((t) => t.supervisor === login).map((t) => t.id);
  const member = config.teams.filter((t) => t.members.includes(login)).map((t) => t.id);
  const role: Role = m.role === 'manager' && leads.length > 0 ? 'supervisor' : m.role;
  const teams = [...new Set([...member, ...leads])];
  const all = role === 'admin' || (role === 'supervisor' && teams.length === 0);
  return { login, name: m.name, role, teams: all ? config.teams.map((t) => t.id) : teams, all };
}

/** Whether the person may see (and work) a lead of this team / responsible manager. */
export function canSeeLead(
  user: WebUser,
  lead: { team: string | null; responsible: string | null },
): boolean {
  if (user.all) return true;
  if (lead.responsible === user.login) return true;
  return lead.team !== null && user.teams.includes(lead.team);
}

/** Colleagues the person may hand a lead to: the members and supervisors of the teams they see. */
export function colleagues(config: Config, user: WebUser): { login: string; name: string }[] {
  const logins = new Set<string>();
  for (const t of config.teams)
    if (user.teams.includes(t.id)) {
      for (const m of t.members) logins.add(m);
      if (t.supervisor) logins.add(t.supervisor);
    }
  return config.managers
    .filter((m) => m.active && logins.has(m.login))
    .map((m) => ({ login: m.login, name: m.name }));
}

/** The time zone dates are shown in: the person's first team's, else the first team's. */
export function teamTimeZone(config: Config, user: WebUser): string {
  const team = config.teams.find((t) => user.teams.includes(t.id)) ?? config.teams[0];
  return team?.timeZone ?? 'Europe/Moscow';
}
