import { isOnShift, nextShiftStart } from '../core/working-hours.js';
import { lockNames } from '../db/locks.js';
import type { Queryable as Sql } from '../db/queryable.js';
import type { RoutingCandidate } from './router.js';
import type { TeamDirectory, TeamRuntime } from './teams.js';

/** A manager who already handles this client, and where that was learned. */
export interface StickyCandidate {
  manager: string;
  /** e.g. `responsible of the contact`, `manager of the last deal`. */
  source: string;
}

export type AssignmentStrategy = 'sticky' | 'round_robin' | 'least_loaded' | 'on_call' | 'queued';

export interface Assignment {
  responsible: string | null;
  strategy: AssignmentStrategy;
  candidates: RoutingCandidate[];
  /** Present when nobody could take the lead now. */
  queued?: { why: string; nextShiftStart: string | null };
}

/** What assignment reads of the database for a team: its round-robin cursor and the managers' open leads. */
export interface TeamLoad {
  /** The team's round-robin cursor (the last manager chosen by rotation). */
  lastManager: string | null;
  /** Open (new or in progress) leads per manager. */
  load: ReadonlyMap<string, number>;
}

/** Every manager whose load an assignment in `team` may read: members, the sticky ones, the on-call manager. */
export function involvedManagers(team: TeamRuntime, sticky: readonly StickyCandidate[]): string[] {
  return [...new Set([...team.members, ...sticky.map((s) => s.manager), team.onCall ?? ''])].filter(
    (l) => l !== '',
  );
}

/**
 * Locks what an assignment in these teams reads and returns it, in one round trip: the teams' state rows FOR
 * UPDATE (in id order) and every manager involved (advisory, in key order), then their open leads counted
 * under those locks. The locks last until the caller's transaction commits, so simultaneous leads can never
 * push a manager over capacity, in one daemon or several.
 */
export async function lockTeams(
  tx: Sql,
  teamIds: readonly string[],
  managers: readonly string[],
): Promise<{ cursors: Map<string, string | null>; load: Map<string, number> }> {
  const teams = [...new Set(teamIds)].sort();
  const logins = [...new Set(managers)];
  if (teams.length === 0) return { cursors: new Map(), load: new Map() };
  const lockState = (ids: readonly string[]) => tx<{ team: string; lastManager: string | null }[]>`
    SELECT team, last_manager FROM routing_team_state WHERE team = ANY(${ids as string[]}::text[])
    ORDER BY team FOR UPDATE`;
  // Pipelined, and sent in this order: the managers' locks and their counts (async functions: sent when
  // called), then the teams' rows (a query is sent when Promise.all takes it up, a microtask later). Every
  // locker goes through here, so the order is the same for all; the counts are read under the managers' locks.
  const [stateRows, , load] = await Promise.all([
    lockState(teams),
    lockNames(
      tx,
      logins.map((l) => `manager|${l}`),
    ),
    openLeadCounts(tx, logins),
  ]);
  // A team's row is made by its first assignment ever: one more round trip, once per team and database,
  // instead of an INSERT in every batch. A batch that makes it meanwhile (ON CONFLICT: one of them does) still
  // holds it locked, so the lock below waits for its commit as for any other holder.
  const missing = teams.filter((t) => !stateRows.some((r) => r.team === t));
  if (missing.length > 0) {
    await tx`INSERT INTO routing_team_state (team) SELECT unnest(${missing}::text[]) ON CONFLICT (team) DO NOTHING`;
    stateRows.push(...(await lockState(missing)));
  }
  return { cursors: new Map(stateRows.map((r) => [r.team, r.lastManager])), load };
}

/**
 * Picks the manager for a lead inside `team` (pure: the caller locked and read `state`, see lockTeams):
 *  1 sticky: the client's own manager (contact, company, last deal, last lead) when active, in the team and
 *    under capacity (and on shift when the team says `sticky: on_shift`);
 *  2 while the team is on shift: round_robin (next member after the team's cursor) or least_loaded (fewest
 *    open leads, ties in rotation order) among active members under capacity;
 *  3 off shift: the on-call manager when configured and under capacity;
 *  4 otherwise the lead is queued: the assigner retries when a member comes on shift or frees capacity.
 * `moveCursor` says whether the team's round-robin cursor moves to the chosen manager.
 */
export function chooseInTeam(
  directory: TeamDirectory,
  team: TeamRuntime,
  sticky: readonly StickyCandidate[],
  now: Date,
  state: TeamLoad,
): Assignment & { moveCursor: boolean } {
  const { load } = state;
  const candidates: RoutingCandidate[] = [];
  const onShift = isOnShift(team.hours, now);

  /** Why `login` cannot take a lead (inactive, unknown, at capacity), or undefined when it can. */
  const blocked = (login: string): string | undefined => {
    const m = directory.managers.get(login);
    if (!m) return 'not a configured manager';
    if (!m.active) return 'inactive';
    const cap = team.capacityOf(login);
    const open = load.get(login) ?? 0;
    if (cap !== undefined && open >= cap) return `at capacity (${open}/${cap} open leads)`;
    return undefined;
  };
  const pick = (login: string, strategy: AssignmentStrategy, why: string) => {
    candidates.push({ manager: login, outcome: 'chosen', why });
    return {
      responsible: login,
      strategy,
      candidates,
      moveCursor: strategy === 'round_robin' || strategy === 'least_loaded',
    };
  };

  // 1 sticky.
  const seen = new Set<string>();
  for (const s of team.sticky === 'off' ? [] : sticky) {
    if (seen.has(s.manager)) continue;
    seen.add(s.manager);
    const skip = (why: string) =>
      candidates.push({ manager: s.manager, outcome: 'skipped', why: `${s.source}: ${why}` });
    if (!team.members.includes(s.manager)) {
      skip(`not a member of team ${team.id}`);
      continue;
    }
    const why = blocked(s.manager);
    if (why) {
      skip(why);
      continue;
    }
    if (team.sticky === 'on_shift' && !onShift) {
      skip('off shift (team sticks only on shift)');
      continue;
    }
    return pick(s.manager, 'sticky', s.source);
  }

  // 2 on shift: the team's strategy among members.
  if (onShift) {
    const rotation = rotate(team.members, state.lastManager);
    const eligible: string[] = [];
    for (const login of rotation) {
      if (seen.has(login)) continue;
      const why = blocked(login);
      if (why) candidates.push({ manager: login, outcome: 'skipped', why });
      else eligible.push(login);
    }
    if (eligible.length > 0) {
      let chosen = eligible[0]!;
      if (team.assignment === 'least_loaded')
        for (const login of eligible) if ((load.get(login) ?? 0) < (load.get(chosen) ?? 0)) chosen = login;
      for (const login of eligible) {
        if (login === chosen) continue;
        candidates.push({
          manager: login,
          outcome: 'skipped',
          why:
            team.assignment === 'least_loaded'
              ? `${load.get(login) ?? 0} open leads; ${chosen} has ${load.get(chosen) ?? 0} and is next in rotation`
              : `not next in rotation (${chosen} is)`,
        });
      }
      return pick(
        chosen,
        team.assignment,
        team.assignment === 'least_loaded'
          ? `fewest open leads (${load.get(chosen) ?? 0}) among members on shift`
          : 'next in rotation among members on shift',
      );
    }
    return {
      responsible: null,
      strategy: 'queued',
      candidates,
      queued: { why: 'every member on shift is inactive or at capacity', nextShiftStart: null },
      moveCursor: false,
    };
  }

  // 3 off shift.
  for (const login of team.members)
    if (!seen.has(login)) candidates.push({ manager: login, outcome: 'skipped', why: 'off shift' });
  const next = nextShiftStart(team.hours, now);
  if (team.onCall) {
    const why = blocked(team.onCall);
    if (!why) return pick(team.onCall, 'on_call', `on call while team ${team.id} is off shift`);
    candidates.push({ manager: team.onCall, outcome: 'skipped', why: `on call: ${why}` });
  }
  return {
    responsible: null,
    strategy: 'queued',
    candidates,
    queued: {
      why: `team ${team.id} is off shift: waits for the first member on shift`,
      nextShiftStart: next?.toISOString() ?? null,
    },
    moveCursor: false,
  };
}

/**
 * Assigns one lead in `team` inside the caller's transaction (the queue assigner): lockTeams, chooseInTeam,
 * and the cursor moved. The batched lead rules use the same two steps for a whole batch (rule-router.ts).
 */
export async function assignInTeam(
  tx: Sql,
  directory: TeamDirectory,
  team: TeamRuntime,
  sticky: readonly StickyCandidate[],
  now: Date,
): Promise<Assignment> {
  const { cursors, load } = await lockTeams(tx, [team.id], involvedManagers(team, sticky));
  const { moveCursor, ...a } = chooseInTeam(directory, team, sticky, now, {
    lastManager: cursors.get(team.id) ?? null,
    load,
  });
  if (moveCursor)
    await tx`UPDATE routing_team_state SET last_manager = ${a.responsible}, updated_at = ${now} WHERE team = ${team.id}`;
  return a;
}

/** Members in rotation order starting after `last` (from the first member when `last` is not one). */
function rotate(members: readonly string[], last: string | null): string[] {
  const at = last === null ? -1 : members.indexOf(last);
  return [...members.slice(at + 1), ...members.slice(0, at + 1)];
}

/** Open (new or in progress) leads per manager. */
async function openLeadCounts(tx: Sql, logins: readonly string[]): Promise<Map<string, number>> {
  if (logins.length === 0) return new Map();
  const rows = await tx<{ responsible: string; n: number }[]>`
    SELECT responsible, count(*)::int AS n FROM leads
    WHERE status IN ('new', 'in_progress') AND responsible = ANY(${logins as string[]})
    GROUP BY responsible`;
  return new Map(rows.map((r) => [r.responsible, r.n]));
}
