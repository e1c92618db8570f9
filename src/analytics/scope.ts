import type { Config } from '../config/schema.js';
import { ForbiddenError, UnprocessableError } from '../core/errors.js';
import type { Scope, TeamZones } from './queries.js';

/** Who asks: an API token (sees everything, like every /api/v1 route) or a signed-in person. */
export type Viewer =
  | { kind: 'token' }
  /** A person as the web app sees them (src/web/services/users.ts): `all`, or the teams they may see. */
  | { kind: 'person'; role: 'manager' | 'supervisor' | 'admin'; all: boolean; teams: string[] };

/**
 * The leads a viewer's figures count. Supervisors see the teams they lead (a supervisor of no team, admins and
 * tokens see all); a manager sees no analytics at all. `team` narrows to one team the viewer may see.
 */
export function analyticsScope(config: Config, viewer: Viewer, team?: string): Scope {
  if (viewer.kind === 'person' && viewer.role === 'manager')
    throw new ForbiddenError('the analytics are for supervisors and administrators');
  if (team !== undefined && !config.teams.some((t) => t.id === team))
    throw new UnprocessableError(`unknown team "${team}"`, [{ field: 'team', message: 'unknown team' }]);
  const all = viewer.kind === 'token' || viewer.all;
  if (team !== undefined) {
    if (!all && !viewer.teams.includes(team)) throw new ForbiddenError(`team "${team}" is not yours`);
    return { teams: [team] };
  }
  return { teams: all ? null : viewer.teams };
}

/** Each team's time zone from the config; leads without a team use the first team's. */
export function teamZones(config: Config): TeamZones {
  return {
    teams: config.teams.map((t) => t.id),
    zones: config.teams.map((t) => t.timeZone),
    fallback: config.teams[0]?.timeZone ?? 'Europe/Moscow',
  };
}

/** The zone periods are cut in: the chosen team's, else the first visible team's. */
export function viewerZone(config: Config, scope: Scope): string {
  const id = scope.teams?.[0];
  return config.teams.find((t) => t.id === id)?.timeZone ?? teamZones(config).fallback;
}
