import type { ChannelKind, InboundCommunication } from './communication.js';

/**
 * A communication a source recognized and deliberately keeps out of the lead rules: an auto-reply, a
 * bounce, our own mail, a blocklisted sender. It never creates a contact or a lead; the processor records
 * it on the inbound event with its rule and reason, in the audit trail and in metrics.
 */
export interface SkippedCommunication {
  channel: ChannelKind;
  account: string;
  externalId: string;
  /** A stable name for the rule that fired, e.g. `skip_auto_reply`. */
  rule: string;
  /** A human-readable explanation, without personal data. */
  reason: string;
}

/** The result of normalizing one stored payload. Never throws on vendor quirks: returns the problem instead. */
export type NormalizeResult =
  | {
      ok: true;
      communications: InboundCommunication[];
      skipped?: SkippedCommunication[];
      /**
       * Skipped communications the channel still keeps a record of through its after-decision hook, with no
       * contact and no lead (telephony: a hidden-number call stays visible in `calls`). Listed in `skipped` too.
       */
      recordOnly?: InboundCommunication[];
    }
  | { ok: false; error: string; field?: string };

/**
 * Turns a stored raw payload (exactly as received) into zero or more InboundCommunications. Deterministic,
 * so a payload can always be re-normalized after a bug fix. May be async (MIME parsing is).
 */
export type Normalize = (payload: unknown, raw?: Uint8Array) => NormalizeResult | Promise<NormalizeResult>;

/** Anything that can normalize its own stored payloads: a channel module, or a bare source in a unit test. */
export interface InboundSource {
  normalize: Normalize;
}
