import type { InboundSource, NormalizeResult } from '../../channels/channel.js';
import type { CallCommunication } from '../../core/communication.js';
import type { CallLegEvent, CallStateName } from '../model.js';
import { parseAgent } from '../model.js';
import { type EventCommand, type HistoryCommand, historySchema } from './schema.js';

/** What the webhook stores for a `history` push: the decoded fields (without the secret) and our account. */
export interface StoredHistory {
  account: string;
  fields: Record<string, string>;
}

/**
 * The stored `history` payload -> one CallCommunication (the ingest processor calls this). Pure: the same
 * schema the webhook validated with is applied again, so a stored payload can be re-normalized after a fix.
 */
export const megafonSource: InboundSource = {
  normalize(payload: unknown): NormalizeResult {
    const stored = payload as Partial<StoredHistory> | null;
    if (!stored || typeof stored.account !== 'string' || !stored.fields)
      return { ok: false, error: 'not a stored MegaFon history payload' };
    const parsed = historySchema.safeParse(stored.fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: issue?.message ?? 'invalid', field: issue?.path.join('.') ?? '' };
    }
    return { ok: true, communications: [historyToCommunication(stored.account, parsed.data)] };
  },
};

export function historyToCommunication(account: string, h: HistoryCommand): CallCommunication {
  const answered = h.status.toLowerCase() === 'success';
  const agent = parseAgent(h.user, h.ext);
  // A group login or `pbx` on a "Success" is not a person; on a missed call nobody answered at all.
  const person = agent?.kind === 'user' ? agent.login : undefined;
  const wait = h.wait;
  const talk = answered ? Math.max(0, h.duration - (wait ?? 0)) : 0;
  return {
    kind: 'call',
    channel: 'phone',
    account,
    externalId: h.callid,
    direction: h.type,
    occurredAt: h.start,
    party: { identities: [{ kind: 'phone', value: h.phone }], hints: [] },
    call: {
      state: answered ? 'answered' : 'missed',
      ...(h.diversion ? { dialled: h.diversion } : {}),
      ...(person && (answered || h.type === 'out') ? { agent: person } : {}),
      ...(answered ? (wait !== undefined ? { waitSeconds: wait } : {}) : { waitSeconds: wait ?? h.duration }),
      talkSeconds: talk,
      ...(h.link ? { recordingUrl: h.link } : {}),
    },
    meta: {
      provider: 'megafon',
      status: h.status,
      durationSeconds: h.duration,
      ...(agent ? { pbxUser: agent.login } : {}),
      ...(h.groupRealName ? { group: h.groupRealName } : {}),
      ...(h.rating ? { rating: h.rating } : {}),
      ...(h.missedStatus ? { missedStatus: h.missedStatus } : {}),
    },
  };
}

const EVENT_STATE: Record<string, CallStateName> = {
  INCOMING: 'ringing',
  OUTGOING: 'ringing',
  ACCEPTED: 'answered',
  COMPLETED: 'ended',
  CANCELLED: 'missed',
  // The leg that transferred the call is over for that employee; the new leg arrives as its own events.
  TRANSFERRED: 'ended',
};

/** A live `event` -> the neutral leg event; undefined for a type this build does not know. */
export function eventToLegEvent(account: string, e: EventCommand): CallLegEvent | undefined {
  const type = e.type.toUpperCase();
  const state = EVENT_STATE[type];
  if (!state) return undefined;
  const agent = parseAgent(e.user, e.ext);
  const direction = e.direction?.toLowerCase();
  return {
    provider: 'megafon',
    account,
    callKey: e.callid,
    // One leg per ringing user: the department rings every extension, each gets its own CANCELLED.
    legKey: agent?.login ?? e.ext ?? 'pbx',
    state,
    ...(direction === 'in' || direction === 'out'
      ? { direction }
      : type === 'OUTGOING'
        ? { direction: 'out' as const }
        : type === 'INCOMING'
          ? { direction: 'in' as const }
          : {}),
    ...(e.phone ? { clientNumber: e.phone } : {}),
    ...(e.diversion ? { dialled: e.diversion } : {}),
    ...(agent ? { agent } : {}),
  };
}
