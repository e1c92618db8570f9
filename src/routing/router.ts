import type { ChannelKind, RoutingSignals } from '../core/communication.js';
import type { RoutingTrace } from '../core/routing-trace.js';
import type { Queryable as Sql } from '../db/queryable.js';
import type { ContactSet } from '../db/repos/contacts.js';
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
 * The routing seam, shaped for a batch of decisions in one transaction. `prepare` issues at once the locks
 * routing needs whatever the batch holds (every team's round-robin row, every manager, with their open leads
 * counted under those locks) and its reads of `contacts` (the contacts the batch's communications may resolve
 * to, as a subquery: their companies, sticky managers): all ride in the lead rules' own round trip. The prepared router then routes the leads the rules create one by one, in memory and in order (each
 * choice sees the loads and cursors of the ones before it), and `flush` writes what changed with the batch.
 */
export interface Router {
  prepare(tx: Sql, batch: { contacts: ContactSet }): Promise<PreparedRouter>;
}

export interface PreparedRouter {
  /** Routes one lead; throws when the router fails. */
  route(input: RoutingInput): RoutingResult;
  /** Remembers the in-memory state; the returned function puts it back (an event that failed later on). */
  checkpoint(): () => void;
  /** The statements that persist what routing changed (round-robin cursors), issued on `tx` now. */
  flush(tx: Sql): Promise<unknown>;
}
