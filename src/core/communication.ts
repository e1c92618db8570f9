/**
 * The shared vocabulary of the pipeline. Every channel adapter turns its vendor payload into an
 * InboundCommunication; everything after normalization (identity, lead rules, routing) sees only this.
 */

/** Channels a communication can arrive on. Adding one here forces every exhaustive switch to handle it. */
export const CHANNEL_KINDS = [
  'email',
  'phone',
  'whatsapp',
  'vk',
  'avito',
  'viber',
  'telegram',
  'max',
  'webform',
  'api',
] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Kinds of identity a contact can be known by. Messenger ids are scoped by channel account. */
export const IDENTITY_KINDS = [
  'phone',
  'email',
  'whatsapp',
  'vk',
  'avito',
  'viber',
  'telegram',
  'max',
] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];
export type MessengerIdentityKind = Exclude<IdentityKind, 'phone' | 'email'>;

export type Direction = 'in' | 'out';

/** An identity as the channel delivered it, before normalization. */
export type RawIdentity =
  | { kind: 'phone'; value: string }
  | { kind: 'email'; value: string }
  | { kind: MessengerIdentityKind; account: string; value: string };

/**
 * The client side of a communication: the sender of an inbound one, the recipient of an outbound one.
 * `identities` are the party's own addresses in priority order (the address the message came from first);
 * `hints` were found in the content (a phone in an email signature) and never resolve a contact on their own.
 */
export interface Party {
  name?: string;
  identities: RawIdentity[];
  hints: RawIdentity[];
}

/**
 * What a form or channel states that helps routing. `region` and `clientType` are explicit (a form field);
 * `regionHint` (a region name or code) and `city` are weaker channel data: a VK profile city, an Avito
 * item's location.
 */
export interface RoutingSignals {
  region?: string;
  clientType?: string;
  regionHint?: string;
  city?: string;
}

interface CommunicationBase {
  channel: ChannelKind;
  /** The company-side account: mailbox, PBX, WhatsApp number, VK community, Avito profile, API source. */
  account: string;
  /** Unique per (channel, account): a retry with the same id is a duplicate. */
  externalId: string;
  direction: Direction;
  occurredAt: Date;
  party: Party;
  /** Thread within (channel, account): an email thread root, a chat id. Absent: one thread per contact. */
  threadKey?: string;
  subject?: string;
  text?: string;
  /** Signals a form or channel provides for routing. */
  signals?: RoutingSignals;
  /** Channel-specific, non-identifying details kept with the message (attachments metadata, headers). */
  meta?: Record<string, unknown>;
  /**
   * This is a new version of a message the channel delivered before under the same `externalId` (a messenger
   * edit): rule 1 then updates the stored text and meta instead of ignoring it. Absent on ordinary messages.
   */
  revision?: { editedAt: Date };
}

export interface MessageCommunication extends CommunicationBase {
  kind: 'message';
}

export type CallState = 'answered' | 'missed';

export interface CallCommunication extends CommunicationBase {
  kind: 'call';
  call: {
    state: CallState;
    /** The number the client dialled (our line), E.164 when known. */
    dialled?: string;
    /** Login of the employee who answered or placed the call. */
    agent?: string;
    waitSeconds?: number;
    talkSeconds?: number;
    recordingUrl?: string;
    /** The PBX reported no number (anonymous, private, empty): nobody can call back. */
    numberHidden?: boolean;
    /** What the PBX sent that could not be read and how it was handled; field names and our words, never values. */
    parseIssues?: ParseIssue[];
  };
}

/** One field of a vendor payload that could not be read as documented, e.g. `{field: 'start', issue: '...'}`. */
export interface ParseIssue {
  field: string;
  issue: string;
}

export type InboundCommunication = MessageCommunication | CallCommunication;

export const DECISION_KINDS = [
  'duplicate',
  'outbound',
  'attached_to_deal',
  'attached_to_lead',
  'repeat_lead',
  'new_lead',
] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** One identity of the event and what it matched. */
export interface IdentityMatch {
  kind: IdentityKind;
  /** Normalized value; personal data, never logged at info level. */
  value: string;
  contactId: string | null;
  outcome: 'matched' | 'added' | 'conflict' | 'confirmed_hint' | 'added_hint';
}

/** The outcome of the lead rules for one communication, with the reason it was taken. */
export interface Decision {
  kind: DecisionKind;
  channel: ChannelKind;
  /** Which rule fired, e.g. `rule_4_active_deal`. */
  rule: string;
  /** A human-readable explanation: which identity matched and why this rule fired. */
  reason: string;
  contactId: string;
  leadId?: string;
  dealId?: string;
  conversationId: string;
  messageId: string;
  matches: IdentityMatch[];
  mergeSuggestionIds: string[];
}
