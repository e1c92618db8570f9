import { teamHoursInput } from '../config/routing.js';
import type { Config } from '../config/schema.js';
import { parseWorkingHours, type WorkingHours } from '../core/working-hours.js';

/** A team as assignment uses it: validated config turned into ready structures. */
export interface TeamRuntime {
  id: string;
  name: string;
  /** Rotation order for round-robin (as listed in config). */
  members: readonly string[];
  hours: WorkingHours;
  assignment: 'round_robin' | 'least_loaded';
  sticky: 'always' | 'on_shift' | 'off';
  onCall?: string;
  /** Max open leads of a manager in this team (the manager's own capacity wins); undefined: unlimited. */
  capacityOf(login: string): number | undefined;
}

export interface ManagerRuntime {
  login: string;
  name: string;
  active: boolean;
  capacity?: number;
}

export interface TeamDirectory {
  teams: ReadonlyMap<string, TeamRuntime>;
  managers: ReadonlyMap<string, ManagerRuntime>;
}

/** Builds the team directory from a validated config (hours were checked by the schema). */
export function buildTeamDirectory(config: Pick<Config, 'managers' | 'teams' | 'routing'>): TeamDirectory {
  const managers = new Map<string, ManagerRuntime>(
    config.managers.map((m) => [
      m.login,
      { login: m.login, name: m.name, active: m.active, ...(m.capacity ? { capacity: m.capacity } : {}) },
    ]),
  );
  const teams = new Map<string, TeamRuntime>();
  for (const t of config.teams) {
    teams.set(t.id, {
      id: t.id,
      name: t.name,
      members: t.members,
      hours: parseWorkingHours(teamHoursInput(t, config.routing.holidays)),
      assignment: t.assignment,
      sticky: t.sticky,
      ...(t.onCall ? { onCall: t.onCall } : {}),
      capacityOf: (login) => managers.get(login)?.capacity ?? t.capacity,
    });
  }
  return { teams, managers };
}
