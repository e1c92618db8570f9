import type { ChannelKind } from '../core/communication.js';
import type { Queryable as Sql } from '../db/queryable.js';

/** What routing knows about a lead. Never a vendor payload. */
export interface RoutingInput {
  leadKind: 'new' | 'repeat';
  channel: ChannelKind;
  account: string;
  contact: {
    id: string;
    responsible: string | null;
    region: string | null;
    clientType: string | null;
    companyId: string | null;
  };
  /** Region / client type the channel or form stated explicitly. */
  signals: { region?: string; clientType?: string };
  now: Date;
}

/** Why the lead went where it went: facts, the rule, the candidates and the choice. Stored with the lead. */
export interface RoutingTrace {
  router: string;
  facts: Record<string, unknown>;
  rule: string;
  candidates: { manager: string; outcome: 'chosen' | 'skipped'; why: string }[];
  chosen: string | null;
}

export interface RoutingResult {
  team: string;
  responsible: string | null;
  trace: RoutingTrace;
}

/**
 * The routing seam. Called inside the decision transaction for every new or repeat lead, so an
 * implementation may read (and lock) what it needs through `tx` and its choice commits with the lead.
 */
export interface Router {
  route(tx: Sql, input: RoutingInput): Promise<RoutingResult>;
}
