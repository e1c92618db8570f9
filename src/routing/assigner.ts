import type { Sql } from 'postgres';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { audit } from '../db/repos/audit.js';
import type { Logger } from '../observability/logger.js';
import { assignInTeam } from './assign.js';
import type { RoutingTrace } from './router.js';
import { stickyCandidates } from './rule-router.js';
import { buildTeamDirectory } from './teams.js';

export interface AssignerDeps {
  sql: Sql;
  config: Pick<Config, 'managers' | 'teams' | 'routing'>;
  clock: Clock;
  log: Logger;
}

export interface AssignerTick {
  assigned: number;
  /** Leads looked at that still wait (team off shift, or nobody under capacity). */
  waiting: number;
}

/**
 * The background assigner: gives queued leads (routing found nobody on shift or under capacity) to a manager
 * as soon as one can take them. Each lead is claimed in its own transaction with FOR NO KEY UPDATE SKIP LOCKED
 * (NO KEY: a decision batch that holds the team rows and writes a message referencing the lead only needs KEY
 * SHARE on it, so the two never deadlock over the foreign key), so
 * several daemons share the queue; assignment itself goes through `assignInTeam` (the same locks and rules
 * as live routing). A team that could not take a lead is skipped for the rest of the tick, so one closed team
 * never starves the others. Oldest leads first.
 */
export function createAssigner(deps: AssignerDeps) {
  const directory = buildTeamDirectory(deps.config);
  const { intervalMs, batchSize } = deps.config.routing.assigner;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<AssignerTick> | undefined;

  async function tryLead(id: string): Promise<'assigned' | 'waiting' | 'gone'> {
    return deps.sql.begin(async (tx) => {
      const [lead] = await tx<
        {
          id: string;
          contactId: string;
          team: string | null;
          status: string;
          responsible: string | null;
          routing: RoutingTrace | null;
        }[]
      >`SELECT id, contact_id, team, status, responsible, routing FROM leads
        WHERE id = ${id} AND queued_at IS NOT NULL FOR NO KEY UPDATE SKIP LOCKED`;
      if (!lead) return 'gone';
      const team = lead.team ? directory.teams.get(lead.team) : undefined;
      if (lead.status !== 'new' || lead.responsible !== null || !team) {
        // Taken or assigned by hand meanwhile, or its team was removed from config: it leaves the queue.
        await tx`UPDATE leads SET queued_at = NULL WHERE id = ${id}`;
        return 'gone';
      }
      const now = deps.clock();
      const a = await assignInTeam(tx, directory, team, await stickyCandidates(tx, lead.contactId), now);
      if (!a.responsible) return 'waiting';
      const trace: RoutingTrace = lead.routing ?? {
        router: 'assigner',
        facts: {},
        rule: 'unknown',
        candidates: [],
        chosen: null,
      };
      const { queued: _queued, ...rest } = trace;
      const updated: RoutingTrace = {
        ...rest,
        chosen: a.responsible,
        assignments: [
          ...(trace.assignments ?? []),
          { at: now.toISOString(), manager: a.responsible, strategy: a.strategy, candidates: a.candidates },
        ],
      };
      await tx`UPDATE leads SET responsible = ${a.responsible}, queued_at = NULL, updated_at = ${now},
                 routing = ${tx.json(updated as never)} WHERE id = ${id}`;
      await audit(tx, {
        actor: 'assigner',
        action: 'lead.assigned',
        entityType: 'lead',
        entityId: id,
        reason: `queued lead assigned to ${a.responsible} (${a.strategy}) in team ${team.id}`,
      });
      return 'assigned';
    });
  }

  /** One pass over the queue. Exposed for tests (drive it with an injected clock). */
  async function tick(): Promise<AssignerTick> {
    const queued = await deps.sql<{ id: string; team: string | null }[]>`
      SELECT id, team FROM leads WHERE queued_at IS NOT NULL ORDER BY queued_at, id LIMIT ${batchSize * 50}`;
    const blocked = new Set<string | null>();
    const result: AssignerTick = { assigned: 0, waiting: 0 };
    for (const lead of queued) {
      if (result.assigned >= batchSize) break;
      if (blocked.has(lead.team)) {
        result.waiting++;
        continue;
      }
      const outcome = await tryLead(lead.id);
      if (outcome === 'assigned') result.assigned++;
      if (outcome === 'waiting') {
        result.waiting++;
        blocked.add(lead.team);
      }
    }
    return result;
  }

  const runTick = () => {
    running ??= tick()
      .then((r) => {
        if (r.assigned > 0) deps.log.info(r, 'queued leads assigned');
        return r;
      })
      .catch((err) => {
        deps.log.error({ err: errorMessage(err) }, 'assigner tick failed');
        return { assigned: 0, waiting: 0 };
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  return {
    tick,
    start(): void {
      if (timer) return;
      timer = setInterval(runTick, intervalMs);
      timer.unref();
      void runTick();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type Assigner = ReturnType<typeof createAssigner>;
