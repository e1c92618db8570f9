import type { InboundSource, NormalizeResult } from '../../channels/channel.js';
import type { CallCommunication, ParseIssue } from '../../core/communication.js';
import { callResult, type HiddenNumberOptions } from '../hidden-number.js';
import type { CallLegEvent, CallStateName } from '../model.js';
import { isHiddenNumber, parseAgent, readPbxTime, readRecordingLink, readSeconds } from '../model.js';
import { type EventCommand, type HistoryCommand, historySchema } from './schema.js';

/** What the webhook stores for a `history` push: the decoded fields (without the secret) and our account. */
export interface StoredHistory {
  account: string;
  fields: Record<string, string>;
  /** When the webhook received it (ISO 8601): stands in for an unreadable `start`. Absent in older payloads. */
  receivedAt?: string;
}

/**
 * The stored `history` payload -> one CallCommunication (the ingest processor calls this). Pure: the same
 * schema the webhook checked is applied again, so a stored payload can be re-normalized after a fix.
 */
export function createMegafonSource(opts: HiddenNumberOptions): InboundSource {
  return {
    normalize(payload: unknown): NormalizeResult {
      const stored = payload as Partial<StoredHistory> | null;
      if (!stored || typeof stored.account !== 'string' || !stored.fields)
        return { ok: false, error: 'not a stored MegaFon history payload' };
      const parsed = historySchema.safeParse(stored.fields);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, error: issue?.message ?? 'invalid', field: issue?.path.join('.') ?? '' };
      }
      const receivedAt = stored.receivedAt ? new Date(stored.receivedAt) : undefined;
      const comm = historyToCommunication(stored.account, parsed.data, receivedAt);
      if (!comm) return { ok: false, error: 'unreadable and no receive time stored', field: 'start' };
      return callResult(comm, opts);
    },
  };
}

/** The source with the default hidden-number policy (the pipeline builds the configured one). */
export const megafonSource = createMegafonSource({ anonymousCalls: 'record' });

const DIRECTION: Record<string, 'in' | 'out'> = {
  in: 'in',
  incoming: 'in',
  inbound: 'in',
  out: 'out',
  outgoing: 'out',
  outbound: 'out',
};

/**
 * A `history` record -> a CallCommunication. Lenient, as the reference advises (§9.6): a field that cannot be
 * read is noted in `call.parseIssues` and a safe value used (the receive time for `start`, `in` for the
 * direction, so a client's call is never taken for our own). Undefined only when no time can be given at all.
 */
export function historyToCommunication(
  account: string,
  h: HistoryCommand,
  receivedAt?: Date,
): CallCommunication | undefined {
  const issues: ParseIssue[] = [];
  const note = (field: string, issue: string) => issues.push({ field, issue });

  let direction = DIRECTION[h.type?.trim().toLowerCase() ?? ''];
  if (!direction) {
    direction = 'in';
    note('type', h.type ? 'not in/out; taken as in' : 'missing; taken as in');
  }
  const start = readPbxTime(h.start);
  if (start?.note) note('start', start.note);
  if (!start) {
    if (!receivedAt || Number.isNaN(receivedAt.getTime())) return undefined;
    note('start', h.start ? 'not a time; the receive time was used' : 'missing; the receive time was used');
  }
  const occurredAt = start?.at ?? receivedAt!;
  const duration = readSeconds(h.duration);
  if (duration === undefined) note('duration', h.duration ? 'not whole seconds; ignored' : 'missing');
  const wait = readSeconds(h.wait);
  if (h.wait && wait === undefined) note('wait', 'not whole seconds; ignored');
  if (!h.status) note('status', 'missing; taken as missed');
  const answered = h.status?.trim().toLowerCase() === 'success';
  const link = readRecordingLink(h.link);
  if (link.issue) note('link', link.issue);
  const hidden = isHiddenNumber(h.phone);

  const agent = parseAgent(h.user, h.ext);
  // A group login or `pbx` on a "Success" is not a person; on a missed call nobody answered at all.
  const person = agent?.kind === 'user' ? agent.login : undefined;
  const total = duration ?? 0;
  const talk = answered ? Math.max(0, total - (wait ?? 0)) : 0;
  return {
    kind: 'call',
    channel: 'phone',
    account,
    externalId: h.callid,
    direction,
    occurredAt,
    party: { identities: hidden ? [] : [{ kind: 'phone', value: h.phone! }], hints: [] },
    call: {
      state: answered ? 'answered' : 'missed',
      ...(h.diversion ? { dialled: h.diversion } : {}),
      ...(person && (answered || direction === 'out') ? { agent: person } : {}),
      ...(answered ? (wait !== undefined ? { waitSeconds: wait } : {}) : { waitSeconds: wait ?? total }),
      talkSeconds: talk,
      ...(link.url ? { recordingUrl: link.url } : {}),
      ...(hidden ? { numberHidden: true } : {}),
      ...(issues.length > 0 ? { parseIssues: issues } : {}),
    },
    meta: {
      provider: 'megafon',
      ...(h.status ? { status: h.status } : {}),
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
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
