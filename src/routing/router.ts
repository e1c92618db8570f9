import type { ChannelKind, RoutingSignals } from '../core/communication.js';
import type { RoutingTrace } from '../core/routing-trace.js';
import type { Queryable as Sql } from '../db/queryable.js';
import type { Identity } from '../identity/identity.js';

export type { RoutingCandidate, RoutingTrace } from '../core/routing-trace.js';

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
  /** The sender's own normalized identities, in priority order (phones are E.164). */
  identities?: readonly Identity[];
  /** The first message of the lead: keywords in it classify the client. */
  subject?: string;
  text?: string;
  /** Region / client type the channel or form stated explicitly, and channel location hints. */
  signals: RoutingSignals;
  now: Date;
}

export interface RoutingResult {
  team: string;
  responsible: string | null;
  trace: RoutingTrace;
  /** No manager could take the lead now: it waits in the team queue for the assigner. */
  queued?: boolean;
}

/**
 * The routing seam. Called inside the decision transaction for every new or repeat lead, so an
 * implementation may read (and lock) what it needs through `tx` and its choice commits with the lead.
 */
export interface Router {
  route(tx: Sql, input: RoutingInput): Promise<RoutingResult>;
}
