import type { InboundSource, NormalizeResult } from '../../channels/channel.js';
import type { CallCommunication, ParseIssue } from '../../core/communication.js';
import { callResult, type HiddenNumberOptions } from '../hidden-number.js';
import type { CallLegEvent, CallStateName } from '../model.js';
import { isHiddenNumber, readPbxTime, readSeconds } from '../model.js';
import { type MangoCallEvent, type MangoSummary, summarySchema } from './schema.js';

/** What the webhook stores for `events/summary`: our account and the parsed JSON (raw = the signed json). */
export interface StoredSummary {
  account: string;
  summary: unknown;
  /** When the webhook received it (ISO 8601): stands in for an unreadable `create_time`. Absent in older payloads. */
  receivedAt?: string;
}

/** The stored `events/summary` -> a CallCommunication (internal calls -> none). Pure. */
export function createMangoSource(opts: HiddenNumberOptions): InboundSource {
  return {
    normalize(payload: unknown): NormalizeResult {
      const stored = payload as Partial<StoredSummary> | null;
      if (!stored || typeof stored.account !== 'string')
        return { ok: false, error: 'not a stored Mango summary payload' };
      const parsed = summarySchema.safeParse(stored.summary);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, error: issue?.message ?? 'invalid', field: issue?.path.join('.') ?? '' };
      }
      const receivedAt = stored.receivedAt ? new Date(stored.receivedAt) : undefined;
      const comm = summaryToCommunication(stored.account, parsed.data, receivedAt);
      if (comm === 'internal') return { ok: true, communications: [] };
      if (!comm) return { ok: false, error: 'unreadable and no receive time stored', field: 'create_time' };
      return callResult(comm, opts);
    },
  };
}

/** The source with the default hidden-number policy (the pipeline builds the configured one). */
export const mangoSource = createMangoSource({ anonymousCalls: 'record' });

/**
 * A summary -> a CallCommunication; `internal` for a call between employees. Lenient like MegaFon's history:
 * what cannot be read is noted in `call.parseIssues` (an unreadable direction is taken as incoming, an
 * unreadable create_time as the receive time). Undefined only when no time can be given at all.
 */
export function summaryToCommunication(
  account: string,
  s: MangoSummary,
  receivedAt?: Date,
): CallCommunication | 'internal' | undefined {
  const issues: ParseIssue[] = [];
  const note = (field: string, issue: string) => issues.push({ field, issue });
  const direction = readSeconds(s.call_direction);
  if (direction === 0) return 'internal'; // between employees, never a client
  if (direction !== 1 && direction !== 2) note('call_direction', 'not 0, 1 or 2; taken as incoming');
  const incoming = direction !== 2;
  const created = readPbxTime(s.create_time);
  if (created?.note) note('create_time', created.note);
  if (!created) {
    if (!receivedAt || Number.isNaN(receivedAt.getTime())) return undefined;
    note('create_time', 'not a time; the receive time was used');
  }
  const createdAt = created?.at ?? receivedAt!;
  const time = (field: 'talk_time' | 'end_time') => {
    const value = s[field];
    if (value === undefined || value === 0 || value === '0') return undefined;
    const t = readPbxTime(value);
    if (!t) note(field, 'not a time; ignored');
    return t?.at;
  };
  const talkStart = time('talk_time');
  const endedAt = time('end_time') ?? talkStart ?? createdAt;
  const result = readSeconds(s.entry_result);
  if (result !== 0 && result !== 1) note('entry_result', 'not 0 or 1; taken from talk_time');
  const answered = result === 1 || (result === undefined && talkStart !== undefined);
  const seconds = (from: Date, to: Date) => Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
  const wait = seconds(createdAt, talkStart ?? endedAt);
  const talk = talkStart ? seconds(talkStart, endedAt) : 0;
  const client = incoming ? s.from.number : s.to.number;
  const hidden = isHiddenNumber(client);
  const employee = incoming ? s.to.extension : s.from.extension;
  const dialled = s.line_number ?? (incoming ? s.to.line_number : undefined);
  const reason = readSeconds(s.disconnect_reason);
  return {
    kind: 'call',
    channel: 'phone',
    account,
    externalId: s.entry_id,
    direction: incoming ? 'in' : 'out',
    occurredAt: createdAt,
    party: { identities: hidden ? [] : [{ kind: 'phone', value: client! }], hints: [] },
    call: {
      state: answered ? 'answered' : 'missed',
      ...(incoming && dialled ? { dialled } : {}),
      // For a missed call `to` is only the first link of the chain, not a person who answered.
      ...(employee && (answered || !incoming) ? { agent: employee } : {}),
      waitSeconds: wait,
      talkSeconds: talk,
      ...(hidden ? { numberHidden: true } : {}),
      ...(issues.length > 0 ? { parseIssues: issues } : {}),
    },
    meta: {
      provider: 'mango',
      ...(result !== undefined ? { entryResult: result } : {}),
      ...(reason !== undefined ? { disconnectReason: reason } : {}),
    },
  };
}

const CALL_STATE: Record<string, CallStateName> = {
  appeared: 'ringing',
  connected: 'answered',
  onhold: 'answered',
  // Becomes `ended` when the leg had been connected (see applyLegEvent).
  disconnected: 'missed',
};

/** `events/call` -> the neutral leg event; undefined for an unknown call_state. */
export function callEventToLegEvent(account: string, e: MangoCallEvent): CallLegEvent | undefined {
  const state = CALL_STATE[e.call_state.toLowerCase()];
  if (!state) return undefined;
  // An employee on the `from` side with an outside number on `to` is an outgoing call.
  const outgoing = e.from.extension !== undefined && e.to.extension === undefined;
  const employee = outgoing ? e.from.extension : e.to.extension;
  const client = outgoing ? e.to.number : e.from.number;
  return {
    provider: 'mango',
    account,
    callKey: e.entry_id,
    legKey: e.call_id,
    state,
    direction: outgoing ? 'out' : 'in',
    ...(client ? { clientNumber: client } : {}),
    ...(!outgoing && e.to.line_number ? { dialled: e.to.line_number } : {}),
    ...(employee ? { agent: { kind: 'user' as const, login: employee } } : {}),
    seq: e.seq,
    occurredAt: new Date(e.timestamp * 1000),
  };
}
