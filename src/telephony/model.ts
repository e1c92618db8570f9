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

/**
 * A client number that is no number: empty, `anonymous`, `unknown`, `private`, `Restricted`, the RFC 3323
 * `sip:anonymous@anonymous.invalid`, a lone `+`: anything whose user part has no digit. Nobody can call it back.
 */
export function isHiddenNumber(value: string | undefined): boolean {
  const user =
    (value ?? '')
      .trim()
      .replace(/^sips?:/i, '')
      .split('@')[0] ?? '';
  return !/\d/.test(user);
}

/**
 * A recording link as a PBX sent it: an absolute http(s) URL, or a path on the PBX (`/sys/rec.mp3`, resolved
 * against the account's base URL when the call is recorded). Anything else (`javascript:`, `file:`, junk) is
 * dropped with the reason; the download enforces the host allow-list and address checks (recordings.ts).
 */
export function readRecordingLink(value: string | undefined): { url?: string; issue?: string } {
  const link = value?.trim() ?? '';
  if (link === '') return {};
  if (link.startsWith('/') && !link.startsWith('//')) return { url: link };
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return { issue: 'not a URL; no recording is copied' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { issue: `a ${url.protocol} link, not http(s); no recording is copied` };
  return { url: link };
}

/**
 * A PBX timestamp in any form seen in the wild: MegaFon's documented `20240315T091502Z`, ISO 8601 with `Z` or
 * an offset (`2017-07-07T16:14:08+03:00`, the legacy CSV), the same without a zone or with a space (read as
 * UTC, noted), unix seconds or milliseconds (Mango). Undefined when it is none of them.
 */
export function readPbxTime(value: string | number | undefined): { at: Date; note?: string } | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  let at: Date | undefined;
  let note: string | undefined;
  const compact = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i.exec(s);
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (compact) {
    const [, y, mo, d, h, mi, sec, z] = compact;
    at = new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec}Z`);
    if (!z) note = 'no time zone; read as UTC';
  } else if (iso) {
    const [, date, time, zone] = iso;
    at = new Date(`${date}T${time}${zone ?? 'Z'}`);
    if (!zone) note = 'no time zone; read as UTC';
  } else if (/^\d{9,10}(\.\d+)?$/.test(s)) at = new Date(Number(s) * 1000);
  else if (/^\d{13}$/.test(s)) at = new Date(Number(s));
  if (!at || Number.isNaN(at.getTime())) return undefined;
  return note ? { at, note } : { at };
}

/** Whole seconds from `185`, `185.4` or `"185"`; undefined for anything else. */
export function readSeconds(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  if (!/^\d{1,9}(\.\d+)?$/.test(s)) return undefined;
  return Math.round(Number(s));
}
