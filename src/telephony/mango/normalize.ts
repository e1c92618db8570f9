import type { InboundSource, NormalizeResult } from '../../channels/channel.js';
import type { CallCommunication } from '../../core/communication.js';
import type { CallLegEvent, CallStateName } from '../model.js';
import { type MangoCallEvent, type MangoSummary, summarySchema } from './schema.js';

/** What the webhook stores for `events/summary`: our account and the parsed JSON (raw = the signed json). */
export interface StoredSummary {
  account: string;
  summary: unknown;
}

/** The stored `events/summary` -> a CallCommunication (internal calls -> none). Pure. */
export const mangoSource: InboundSource = {
  normalize(payload: unknown): NormalizeResult {
    const stored = payload as Partial<StoredSummary> | null;
    if (!stored || typeof stored.account !== 'string')
      return { ok: false, error: 'not a stored Mango summary payload' };
    const parsed = summarySchema.safeParse(stored.summary);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: issue?.message ?? 'invalid', field: issue?.path.join('.') ?? '' };
    }
    const comm = summaryToCommunication(stored.account, parsed.data);
    return { ok: true, communications: comm ? [comm] : [] };
  },
};

export function summaryToCommunication(account: string, s: MangoSummary): CallCommunication | undefined {
  if (s.call_direction === 0) return undefined; // internal: between employees, never a client
  const incoming = s.call_direction === 1;
  const client = incoming ? s.from.number : s.to.number;
  const employee = incoming ? s.to.extension : s.from.extension;
  const answered = s.entry_result === 1;
  const talkStart = s.talk_time > 0 ? s.talk_time : undefined;
  const wait = Math.max(0, (talkStart ?? s.end_time) - s.create_time);
  const talk = talkStart ? Math.max(0, s.end_time - talkStart) : 0;
  const dialled = s.line_number ?? (incoming ? s.to.line_number : undefined);
  return {
    kind: 'call',
    channel: 'phone',
    account,
    externalId: s.entry_id,
    direction: incoming ? 'in' : 'out',
    occurredAt: new Date(s.create_time * 1000),
    party: { identities: client ? [{ kind: 'phone', value: client }] : [], hints: [] },
    call: {
      state: answered ? 'answered' : 'missed',
      ...(incoming && dialled ? { dialled } : {}),
      // For a missed call `to` is only the first link of the chain, not a person who answered.
      ...(employee && (answered || !incoming) ? { agent: employee } : {}),
      waitSeconds: wait,
      talkSeconds: talk,
    },
    meta: {
      provider: 'mango',
      entryResult: s.entry_result,
      ...(s.disconnect_reason !== undefined ? { disconnectReason: s.disconnect_reason } : {}),
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
