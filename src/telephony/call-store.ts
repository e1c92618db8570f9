import type { Sql as Pool } from 'postgres';
import type { CallCommunication, Decision } from '../core/communication.js';
import type { Queryable as Sql } from '../db/queryable.js';
import type { IdentityPolicy } from '../identity/identity.js';
import { normalizePhone } from '../identity/phone.js';
import type { PbxDirectory } from './directory.js';
import {
  type CallLegEvent,
  type CallProvider,
  type CallStateName,
  callStateOf,
  LEG_STATE_RANK,
} from './model.js';

export interface CallStoreDeps {
  policy: IdentityPolicy;
  directory: PbxDirectory;
}

/** E.164 when the number parses, else null (the raw value stays in the stored payload). */
export function e164(value: string | undefined, policy: IdentityPolicy): string | null {
  if (!value) return null;
  const r = normalizePhone(value, policy.defaultCountry);
  return r.ok ? r.e164 : null;
}

export type LegEventOutcome =
  | { applied: true; callId: string; state: CallStateName }
  | { applied: false; callId: string };

/**
 * Applies one live leg event to the calls table. A leg never moves backwards: a duplicated or late event
 * (lower Mango seq, or a lower state rank for MegaFon) is ignored. Once the authoritative record has been
 * processed the call's state is final and live events only update its legs.
 */
export async function applyLegEvent(
  sql: Pool,
  ev: CallLegEvent,
  deps: CallStoreDeps,
  now: Date,
): Promise<LegEventOutcome> {
  return sql.begin(async (tx): Promise<LegEventOutcome> => {
    const at = ev.occurredAt ?? now;
    const [call] = await tx<{ id: string; outcomeAt: Date | null }[]>`
      INSERT INTO calls (provider, account, call_key, direction, client_phone, dialled, state, started_at, updated_at)
      VALUES (${ev.provider}, ${ev.account}, ${ev.callKey}, ${ev.direction ?? null},
              ${e164(ev.clientNumber, deps.policy)}, ${e164(ev.dialled, deps.policy)}, 'ringing', ${at}, ${now})
      ON CONFLICT (provider, account, call_key) DO UPDATE SET
        direction = coalesce(calls.direction, excluded.direction),
        client_phone = coalesce(calls.client_phone, excluded.client_phone),
        dialled = coalesce(calls.dialled, excluded.dialled),
        started_at = least(calls.started_at, excluded.started_at)
      RETURNING id, outcome_at`;
    const callId = call!.id;
    const [leg] = await tx<{ state: CallStateName; seq: string | null }[]>`
      SELECT state, seq FROM call_legs WHERE call_id = ${callId} AND leg_key = ${ev.legKey}`;
    let state = ev.state;
    if (leg) {
      const stale =
        ev.seq !== undefined && leg.seq !== null
          ? ev.seq <= Number(leg.seq)
          : LEG_STATE_RANK[state] <= LEG_STATE_RANK[leg.state];
      if (stale) {
        // A late "connected" for a leg already over: it was a conversation, not a missed leg.
        if (ev.state === 'answered' && leg.state === 'missed')
          await tx`UPDATE call_legs SET state = 'ended' WHERE call_id = ${callId} AND leg_key = ${ev.legKey}`;
        return { applied: false, callId };
      }
      // A leg that was answered and then "cancelled" was a conversation that ended.
      if (leg.state === 'answered' && state === 'missed') state = 'ended';
    }
    const person = ev.agent?.kind === 'user' ? ev.agent : undefined;
    const manager = deps.directory.managerFor(person?.login) ?? null;
    await tx`
      INSERT INTO call_legs (call_id, leg_key, agent_pbx, agent, ext, state, seq, received_at)
      VALUES (${callId}, ${ev.legKey}, ${ev.agent?.login ?? null}, ${manager}, ${person?.ext ?? null}, ${state},
              ${ev.seq ?? null}, ${now})
      ON CONFLICT (call_id, leg_key) DO UPDATE SET
        state = excluded.state, seq = coalesce(excluded.seq, call_legs.seq), received_at = excluded.received_at,
        agent_pbx = coalesce(excluded.agent_pbx, call_legs.agent_pbx), agent = coalesce(excluded.agent, call_legs.agent),
        ext = coalesce(excluded.ext, call_legs.ext)`;
    if (call!.outcomeAt) return { applied: true, callId, state };
    const legs = await tx<{ state: CallStateName }[]>`SELECT state FROM call_legs WHERE call_id = ${callId}`;
    const callState = callStateOf(legs.map((l) => l.state));
    const answeredByPerson = state === 'answered' && person !== undefined;
    await tx`
      UPDATE calls SET
        state = ${callState},
        answered_at = CASE WHEN ${callState === 'answered'} THEN coalesce(answered_at, ${at}) ELSE answered_at END,
        ended_at = CASE WHEN ${callState === 'ended' || callState === 'missed'} THEN ${at} ELSE NULL END,
        agent_pbx = CASE WHEN ${answeredByPerson} THEN ${person?.login ?? null} ELSE agent_pbx END,
        agent = CASE WHEN ${answeredByPerson} THEN ${manager} ELSE agent END,
        updated_at = ${now}
      WHERE id = ${callId}`;
    return { applied: true, callId, state: callState };
  });
}

/** A call that went through the lead pipeline, with what the rules decided (none: kept out of them). */
export interface CallOutcome {
  provider: CallProvider;
  comm: CallCommunication;
  decision?: Decision;
}

/**
 * Records the authoritative outcomes of a decision batch's calls, inside its transaction, set-based (a few
 * statements whatever the number of calls): the calls rows (final state, durations, the manager, the lead/deal
 * each landed on), the recordings to copy, and the leads' "needs a call back" marks (set by a missed inbound
 * call from a visible number, cleared by an answered call). Without a decision (a hidden-number call kept out
 * of the lead rules) a row has no contact, lead or message. The outcome is as if the calls had been recorded
 * one by one, in order: a call that comes twice in the batch is upserted in a second round of statements (one
 * statement cannot update a row twice), and a lead's last call sets its mark.
 *
 * Every statement is issued before the first await: a decision batch awaits its channels' hooks together
 * (AfterDecision), in the round trip of its outbox.
 */
export async function recordCallOutcomes(
  tx: Sql,
  calls: readonly CallOutcome[],
  now: Date,
  deps: CallStoreDeps,
): Promise<void> {
  // Rounds: the n-th occurrence of a call's key goes into the n-th round.
  const rounds: CallRow[][] = [];
  const seen = new Map<string, number>();
  /** Per lead: `set`, `clear` (if marked), or `unset` (marked by an earlier call of the batch: cleared anyway). */
  const marks = new Map<string, 'set' | 'clear' | 'unset'>();
  for (const input of calls) {
    const row = callRow(input, deps);
    const key = `${row.provider}|${row.account}|${row.call_key}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    if (!rounds[n]) rounds[n] = [];
    rounds[n].push(row);
    const { comm, decision } = input;
    const answered = comm.call.state === 'answered';
    // The last call of a lead that sets or clears its mark decides it. Nobody can call a hidden number back:
    // such a call leaves the mark as it is (under anonymousCalls: lead, it still makes a lead). A clear touches
    // the lead only when it is marked, as one by one: also when an earlier call of the batch marked it.
    const lead = decision?.leadId;
    if (lead && !answered && comm.direction === 'in' && !comm.call.numberHidden) marks.set(lead, 'set');
    else if (lead && answered)
      marks.set(lead, marks.get(lead) === 'set' || marks.get(lead) === 'unset' ? 'unset' : 'clear');
  }
  const statements: Promise<unknown>[] = [];
  for (const rows of rounds) {
    statements.push(upsertCalls(tx, rows, now).execute());
    const recordings = rows.filter((r) => r.recording_url !== null);
    if (recordings.length > 0) statements.push(queueRecordings(tx, recordings, now).execute());
  }
  const leads = (mark: 'set' | 'clear' | 'unset') =>
    [...marks].filter(([, m]) => m === mark).map(([id]) => id);
  const [set, clear, unset] = [leads('set'), leads('clear'), leads('unset')];
  if (set.length > 0)
    statements.push(
      tx`UPDATE leads SET needs_callback = true, updated_at = ${now} WHERE id = ANY(${set}::uuid[])`.execute(),
    );
  if (clear.length > 0 || unset.length > 0)
    statements.push(
      tx`UPDATE leads SET needs_callback = false, updated_at = ${now}
         WHERE (id = ANY(${clear}::uuid[]) AND needs_callback) OR id = ANY(${unset}::uuid[])`.execute(),
    );
  await Promise.all(statements);
}

/** A calls row as recordCallOutcomes writes it (the columns of `calls`, in its JSON recordset). */
interface CallRow {
  provider: CallProvider;
  account: string;
  call_key: string;
  direction: string;
  client_phone: string | null;
  dialled: string | null;
  agent_pbx: string | null;
  agent: string | null;
  state: CallStateName;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date;
  wait_seconds: number | null;
  talk_seconds: number | null;
  recording_url: string | null;
  contact_id: string | null;
  lead_id: string | null;
  deal_id: string | null;
  message_id: string | null;
  number_hidden: boolean;
  parse_issues: unknown;
}

function callRow({ provider, comm, decision }: CallOutcome, deps: CallStoreDeps): CallRow {
  const c = comm.call;
  const answered = c.state === 'answered';
  const client = comm.party.identities.find((i) => i.kind === 'phone')?.value;
  const talk = c.talkSeconds ?? null;
  return {
    provider,
    account: comm.account,
    call_key: comm.externalId,
    direction: comm.direction,
    client_phone: e164(client, deps.policy),
    dialled: e164(c.dialled, deps.policy),
    agent_pbx: c.agent ?? null,
    agent: deps.directory.managerFor(c.agent) ?? null,
    state: answered ? 'ended' : 'missed',
    started_at: comm.occurredAt,
    answered_at: answered ? new Date(comm.occurredAt.getTime() + (c.waitSeconds ?? 0) * 1000) : null,
    ended_at: new Date(comm.occurredAt.getTime() + ((c.waitSeconds ?? 0) + (talk ?? 0)) * 1000),
    wait_seconds: c.waitSeconds ?? null,
    talk_seconds: talk,
    recording_url: c.recordingUrl || null, // An empty link is none (nothing to copy).
    contact_id: decision?.contactId ?? null,
    lead_id: decision?.leadId ?? null,
    deal_id: decision?.dealId ?? null,
    message_id: decision?.messageId ?? null,
    number_hidden: c.numberHidden === true,
    parse_issues: c.parseIssues && c.parseIssues.length > 0 ? c.parseIssues : null,
  };
}

/** One upsert of calls whose keys are distinct; what an earlier record knew survives where this one has none. */
function upsertCalls(tx: Sql, rows: readonly CallRow[], now: Date) {
  return tx`
    INSERT INTO calls (provider, account, call_key, direction, client_phone, dialled, agent_pbx, agent, state,
                       started_at, answered_at, ended_at, wait_seconds, talk_seconds, recording_url, outcome_at,
                       contact_id, lead_id, deal_id, message_id, number_hidden, parse_issues, updated_at)
    SELECT provider, account, call_key, direction, client_phone, dialled, agent_pbx, agent, state,
           started_at, answered_at, ended_at, wait_seconds, talk_seconds, recording_url, ${now}::timestamptz,
           contact_id, lead_id, deal_id, message_id, number_hidden, parse_issues, ${now}::timestamptz
    FROM jsonb_to_recordset(${tx.json(rows as never)}::jsonb) AS v(
      provider text, account text, call_key text, direction text, client_phone text, dialled text,
      agent_pbx text, agent text, state text, started_at timestamptz, answered_at timestamptz,
      ended_at timestamptz, wait_seconds int, talk_seconds int, recording_url text, contact_id uuid,
      lead_id uuid, deal_id uuid, message_id uuid, number_hidden boolean, parse_issues jsonb)
    ON CONFLICT (provider, account, call_key) DO UPDATE SET
      direction = excluded.direction, client_phone = coalesce(excluded.client_phone, calls.client_phone),
      dialled = coalesce(excluded.dialled, calls.dialled),
      agent_pbx = coalesce(excluded.agent_pbx, CASE WHEN excluded.state = 'missed' THEN NULL ELSE calls.agent_pbx END),
      agent = coalesce(excluded.agent, CASE WHEN excluded.state = 'missed' THEN NULL ELSE calls.agent END),
      state = excluded.state, started_at = excluded.started_at, answered_at = excluded.answered_at,
      ended_at = excluded.ended_at, wait_seconds = excluded.wait_seconds, talk_seconds = excluded.talk_seconds,
      recording_url = coalesce(excluded.recording_url, calls.recording_url), outcome_at = excluded.outcome_at,
      contact_id = excluded.contact_id, lead_id = excluded.lead_id, deal_id = excluded.deal_id,
      message_id = excluded.message_id, number_hidden = excluded.number_hidden,
      parse_issues = excluded.parse_issues, updated_at = excluded.updated_at`;
}

/**
 * Queues the recording files of stored calls to be copied (at most one per call per statement); a link
 * already queued for a call is kept. The calls are named by their keys, so that this can be pipelined right
 * behind the statement that stores them.
 */
function queueRecordings(
  tx: Sql,
  refs: readonly Pick<CallRow, 'provider' | 'account' | 'call_key' | 'recording_url'>[],
  now: Date,
) {
  const col = <T>(f: (r: (typeof refs)[number]) => T) => refs.map(f);
  return tx`
    INSERT INTO call_recordings (call_id, url, next_attempt_at)
    SELECT c.id, v.url, ${now}::timestamptz
    FROM unnest(${col((r) => r.provider)}::text[], ${col((r) => r.account)}::text[],
                ${col((r) => r.call_key)}::text[], ${col((r) => r.recording_url) as string[]}::text[])
         AS v(provider, account, call_key, url)
    JOIN calls c ON c.provider = v.provider AND c.account = v.account AND c.call_key = v.call_key
    ON CONFLICT (call_id) DO UPDATE SET url = excluded.url
    WHERE call_recordings.status <> 'stored' AND call_recordings.url <> excluded.url`;
}

/** The calls row of a provider's call, created (as `ended`) when nothing about it arrived yet. */
async function ensureCall(tx: Sql, provider: CallProvider, account: string, callKey: string, now: Date) {
  const [row] = await tx<{ id: string }[]>`
    INSERT INTO calls (provider, account, call_key, state, updated_at)
    VALUES (${provider}, ${account}, ${callKey}, 'ended', ${now})
    ON CONFLICT (provider, account, call_key) DO UPDATE SET updated_at = excluded.updated_at
    RETURNING id`;
  return row!.id;
}

/** The client's score of a call (MegaFon `rating`); it may arrive before or after the call record. */
export async function setRating(
  sql: Sql,
  ref: { provider: CallProvider; account: string; callKey: string },
  rating: string,
  now: Date,
): Promise<string> {
  const id = await ensureCall(sql, ref.provider, ref.account, ref.callKey, now);
  await sql`UPDATE calls SET rating = ${rating} WHERE id = ${id}`;
  return id;
}

/** A recording announced apart from the call record (Mango `events/recording`). */
export async function queueCallRecording(
  sql: Pool,
  ref: { provider: CallProvider; account: string; callKey: string },
  url: string,
  now: Date,
): Promise<string> {
  return sql.begin(async (tx) => {
    const id = await ensureCall(tx, ref.provider, ref.account, ref.callKey, now);
    await queueRecordings(tx, [{ ...ref, call_key: ref.callKey, recording_url: url }], now);
    return id;
  });
}

const CALL_COLUMNS = [
  'id',
  'provider',
  'account',
  'call_key',
  'direction',
  'client_phone',
  'dialled',
  'agent_pbx',
  'agent',
  'state',
  'started_at',
  'answered_at',
  'ended_at',
  'wait_seconds',
  'talk_seconds',
  'rating',
  'outcome_at',
  'contact_id',
  'lead_id',
  'deal_id',
  'message_id',
  'number_hidden',
  'parse_issues',
  'created_at',
  'updated_at',
];

/**
 * Calls for the manager UI, newest first; `live` keeps the ones ringing or in conversation now,
 * `numberHidden` the calls from hidden numbers (or only the others).
 */
export async function listCalls(
  sql: Sql,
  f: { live?: boolean; agent?: string; numberHidden?: boolean; limit: number },
) {
  return sql`
    SELECT ${sql(CALL_COLUMNS)},
      (SELECT coalesce(json_agg(json_build_object('leg', l.leg_key, 'agentPbx', l.agent_pbx, 'agent', l.agent,
                 'ext', l.ext, 'state', l.state, 'receivedAt', l.received_at) ORDER BY l.received_at), '[]'::json)
       FROM call_legs l WHERE l.call_id = calls.id) AS legs
    FROM calls
    WHERE true
      ${f.live ? sql`AND state IN ('ringing', 'answered')` : sql``}
      ${f.numberHidden !== undefined ? sql`AND number_hidden = ${f.numberHidden}` : sql``}
      ${f.agent ? sql`AND (agent = ${f.agent} OR EXISTS (SELECT 1 FROM call_legs l WHERE l.call_id = calls.id AND l.agent = ${f.agent}))` : sql``}
    ORDER BY updated_at DESC, id LIMIT ${f.limit}`;
}

export async function getCall(sql: Sql, id: string) {
  const [call] = await sql`SELECT ${sql(CALL_COLUMNS)}, recording_url FROM calls WHERE id = ${id}`;
  if (!call) return undefined;
  const [legs, recording] = await Promise.all([
    sql`SELECT leg_key AS leg, agent_pbx, agent, ext, state, seq, received_at FROM call_legs
        WHERE call_id = ${id} ORDER BY received_at, leg_key`,
    sql`SELECT status, attempts, content_type, bytes, last_error, stored_at, file_name FROM call_recordings
        WHERE call_id = ${id}`.then((r) => r[0] ?? null),
  ]);
  return { ...call, legs, recording };
}
