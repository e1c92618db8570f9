import type { Direction } from '../core/communication.js';

/**
 * The provider-neutral call model. Provider folders turn vendor payloads into these; nothing past them
 * sees a vendor field name. Two kinds of input exist:
 *  - live leg events (MegaFon `event`, Mango `events/call`): drive the manager UI only;
 *  - the authoritative record (MegaFon `history`, Mango `events/summary`): becomes a CallCommunication and
 *    goes through the lead pipeline (see ./communication.ts).
 */

/** Telephony providers with a webhook of their own; `api` is the generic POST /api/v1/inbound call. */
export const CALL_PROVIDERS = ['megafon', 'mango', 'api'] as const;
export type CallProvider = (typeof CALL_PROVIDERS)[number];

export const CALL_STATES = ['ringing', 'answered', 'ended', 'missed'] as const;
/** ringing: a phone rings; answered: a person talks; ended: talked, hung up; missed: nobody answered. */
export type CallStateName = (typeof CALL_STATES)[number];

/** Who on our side a leg or call belongs to, as the PBX named them. */
export type AgentRef =
  /** A person: their PBX login (without the tenant domain) and extension. */
  | { kind: 'user'; login: string; ext?: string }
  /** A department / group login, the PBX itself (`pbx`), IVR or a mobile bridge: never "a person answered". */
  | { kind: 'system'; login: string };

/** One live state change of one leg of a call. */
export interface CallLegEvent {
  provider: CallProvider;
  account: string;
  /** The whole call: MegaFon callid, Mango entry_id. */
  callKey: string;
  /** The leg: the ringing user for MegaFon, Mango's call_id. */
  legKey: string;
  state: CallStateName;
  direction?: Direction;
  /** The client's number as the PBX sent it (normalized later, under the identity policy). */
  clientNumber?: string;
  /** Our line the client dialled, as sent. */
  dialled?: string;
  agent?: AgentRef;
  /** Mango's ordering number; absent for MegaFon (its events are ordered by state rank). */
  seq?: number;
  /** The provider's timestamp when it sends one; otherwise the receive time is used. */
  occurredAt?: Date;
}

/** Ranks leg states so that a late or duplicated event never moves a leg backwards. */
export const LEG_STATE_RANK: Record<CallStateName, number> = {
  ringing: 0,
  answered: 1,
  missed: 2,
  ended: 2,
};

/** The state of a whole call from its legs (until the authoritative record arrives). */
export function callStateOf(legs: readonly CallStateName[]): CallStateName {
  if (legs.includes('answered')) return 'answered';
  if (legs.includes('ended')) return 'ended';
  if (legs.includes('ringing')) return 'ringing';
  return legs.length > 0 ? 'missed' : 'ringing';
}

/**
 * A PBX login: `ivanov@acme.megapbx.ru` -> `ivanov`. Groups (`g_<uuid>@tenant`), the system user `pbx`,
 * IVR/fax and mobile bridges (`79223374067@crm.megapbx.ru`) are system agents, never a person answering.
 */
export function parseAgent(user: string | undefined, ext?: string): AgentRef | undefined {
  const value = user?.trim();
  if (!value) return undefined;
  const login = value.split('@')[0]!.trim();
  if (login === '') return undefined;
  const lower = login.toLowerCase();
  if (
    lower === 'pbx' ||
    lower === 'ivr' ||
    lower === 'fax' ||
    lower.startsWith('g_') ||
    /^\+?\d{10,15}$/.test(login)
  )
    return { kind: 'system', login };
  return { kind: 'user', login, ...(ext ? { ext } : {}) };
}
