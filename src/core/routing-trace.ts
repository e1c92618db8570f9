/** The routing trace: shared vocabulary between routing (which writes it) and the stores and pages that read it. */

/** One manager considered for the lead, and why they were or were not chosen. */
export interface RoutingCandidate {
  manager: string;
  outcome: 'chosen' | 'skipped';
  why: string;
}

/** Why the lead went where it went: facts, the rule, the candidates and the choice. Stored with the lead. */
export interface RoutingTrace {
  router: string;
  facts: Record<string, unknown>;
  rule: string;
  candidates: RoutingCandidate[];
  chosen: string | null;
  /** The team the rule picked. */
  team?: string;
  /** How the manager was picked: sticky, round_robin, least_loaded, on_call; `queued` when nobody was. */
  strategy?: string;
  /** When the decision was taken (the shift and capacity checks refer to this instant). */
  decidedAt?: string;
  /** Present while the lead waits in the team queue. */
  queued?: { why: string; nextShiftStart: string | null };
  /** Later assignments by the queue assigner, oldest first. */
  assignments?: {
    at: string;
    manager: string;
    strategy: string;
    candidates: RoutingCandidate[];
  }[];
}
