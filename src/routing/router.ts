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
 * The routing seam, shaped for a batch of decisions in one transaction: `prepare` reads and locks, in a round
 * trip or two, everything the possible leads of the batch may need (it is given every lead the batch might
 * create, with both lead kinds when either may apply); the prepared router then routes the leads the rules do
 * create one by one, in memory and in order (each choice sees the loads and cursors of the ones before it),
 * and `flush` returns the writes of what changed, to run with the batch's other writes.
 */
export interface Router {
  prepare(tx: Sql, inputs: readonly RoutingInput[]): Promise<PreparedRouter>;
}

export interface PreparedRouter {
  /** Routes one lead; throws when the lead's team was not prepared (a bug) or the router fails. */
  route(input: RoutingInput): RoutingResult;
  /** Remembers the in-memory state; the returned function puts it back (an event that failed later on). */
  checkpoint(): () => void;
  /** The statements that persist what routing changed (round-robin cursors), issued on `tx` now. */
  flush(tx: Sql): Promise<unknown>;
}
