import type { ChannelKind, InboundCommunication } from '../core/communication.js';

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
  | { ok: true; communications: InboundCommunication[]; skipped?: SkippedCommunication[] }
  | { ok: false; error: string; field?: string };

/**
 * The contract every inbound source implements. `normalize` turns a stored raw payload (exactly as
 * received) into zero or more InboundCommunications; it is deterministic, so a payload can always be
 * re-normalized after a bug fix. It may be async (MIME parsing is). Transports (HTTP routes, IMAP workers)
 * verify and persist the payload first; the ingest processor calls `normalize` inside the decision transaction.
 */
export interface InboundSource {
  normalize(payload: unknown, raw?: Uint8Array): NormalizeResult | Promise<NormalizeResult>;
}

/** A manager's reply on a conversation (POST /api/v1/conversations/{id}/messages). */
export interface ReplyRequest {
  text: string;
  /** Absent: "Re: " + the conversation's subject. */
  subject?: string;
  /** Who sends it, for the audit trail: `api:<token name>`. */
  actor: string;
}

export interface ReplyResult {
  /** The channel's id of the sent message (an email Message-ID). */
  externalId: string;
  /** The inbound event that recorded it; processing attaches it to the conversation as outbound. */
  eventId: string;
  /** The stored message, once processed. */
  messageId?: string;
}

/**
 * Sends a reply through a conversation's channel, then records the sent message like any communication
 * (stored event -> processor -> outbound message). Delivery failures throw a retryable `upstream_failed`.
 */
export interface ConversationReplier {
  reply(
    conversation: { id: string; account: string; threadKey: string; subject: string | null },
    request: ReplyRequest,
  ): Promise<ReplyResult>;
}
