import type { InboundCommunication } from '../core/communication.js';

/** The result of normalizing one stored payload. Never throws on vendor quirks: returns the problem instead. */
export type NormalizeResult =
  | { ok: true; communications: InboundCommunication[] }
  | { ok: false; error: string; field?: string };

/**
 * The contract every inbound source implements. `normalize` is pure: it turns a stored raw payload
 * (exactly as received) into zero or more InboundCommunications. Transports (HTTP routes, IMAP workers)
 * verify and persist the payload first; the ingest processor calls `normalize` inside the decision
 * transaction, so a payload can always be re-normalized after a bug fix.
 */
export interface InboundSource {
  normalize(payload: unknown, raw?: Uint8Array): NormalizeResult;
}
