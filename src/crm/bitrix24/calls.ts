import type { Sql } from 'postgres';
import type { Bitrix24Config } from '../../config/crm.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import { type Bitrix24Client, Bitrix24Error } from './client.js';
import { b24IdOf, type UserMap } from './map.js';

/** Errors that say the portal does not let this webhook use telephony methods (reference §5 "Auth", §6). */
const TELEPHONY_REFUSED = new Set(['WRONG_AUTH_TYPE', 'insufficient_scope', 'ERROR_METHOD_NOT_FOUND']);

/** The Bitrix24 user of the webhook (https://<portal>/rest/<user>/<code>/): who a call without a mapped agent goes to. */
export const webhookUserId = (webhookUrl: string) => /\/rest\/(\d+)\//.exec(webhookUrl)?.[1];

interface CallRecord {
  mode: 'telephony' | 'comment';
  b24CallId: string | null;
  finishedAt: Date | null;
  recordAttachedAt: Date | null;
  recordError: string | null;
}

/**
 * `call.ended` -> Bitrix24's telephony log: `telephony.externalcall.register` (bound to the deal, lead or
 * contact the call landed on), `telephony.externalcall.finish`, then `telephony.externalCall.attachRecord`
 * with the recording's link. Each step is recorded in `bitrix24_calls` as soon as it succeeded, so a retry
 * (a failed finish, a restart) continues where it stopped and never registers the call twice; the
 * EXTERNAL_CALL_ID is our call id (a repeat register without one can return another call's CALL_ID, §5).
 * A portal that refuses telephony methods to a webhook (app context only, §1) gets a timeline comment.
 */
export function callEnded(deps: {
  sql: Sql;
  client: Bitrix24Client;
  b24: Bitrix24Config;
  users: UserMap;
  clock: Clock;
  log: Logger;
  linkedLead: (leadId: string) => Promise<string | undefined>;
}) {
  const { sql, client } = deps;
  /** Probed once per process: after a refusal, calls go straight to comments. */
  let telephonyRefused = false;

  async function target(data: Record<string, unknown>) {
    if (data.dealId) {
      const [d] = await sql<{ externalId: string | null }[]>`
        SELECT external_id FROM deals WHERE id = ${String(data.dealId)}`;
      const id = b24IdOf(d?.externalId);
      if (id) return { type: 'DEAL', id } as const;
    }
    if (data.leadId) {
      const id = await deps.linkedLead(String(data.leadId));
      if (id) return { type: 'LEAD', id } as const;
    }
    if (data.contactId) {
      const [c] = await sql<{ externalId: string | null }[]>`
        SELECT external_id FROM contacts WHERE id = ${String(data.contactId)}`;
      const id = b24IdOf(c?.externalId);
      if (id) return { type: 'CONTACT', id } as const;
    }
    return undefined;
  }

  async function record(callId: string, r: Partial<CallRecord> & { mode: CallRecord['mode'] }) {
    await sql`
      INSERT INTO bitrix24_calls (call_id, mode, b24_call_id, registered_at)
      VALUES (${callId}, ${r.mode}, ${r.b24CallId ?? null}, ${deps.clock()})
      ON CONFLICT (call_id) DO NOTHING`;
  }

  async function comment(data: Record<string, unknown>, on: { type: string; id: string }) {
    const inbound = data.direction !== 'out';
    const talk = Number(data.talkSeconds ?? 0);
    const what =
      data.state === 'missed'
        ? inbound
          ? 'Пропущенный входящий'
          : 'Неотвеченный исходящий'
        : inbound
          ? 'Входящий'
          : 'Исходящий';
    const length = talk > 0 ? `, ${Math.floor(talk / 60)} мин ${talk % 60} с` : '';
    const link = typeof data.recordingUrl === 'string' ? `\nЗапись: ${data.recordingUrl}` : '';
    await client.call('crm.timeline.comment.add', {
      fields: {
        ENTITY_ID: Number(on.id),
        ENTITY_TYPE: on.type.toLowerCase(),
        COMMENT: `${what} звонок ${String(data.clientPhone)}${length}${link}`,
      },
    });
  }

  return async (data: Record<string, unknown>) => {
    const callId = String(data.callId);
    // A hidden number cannot be registered (PHONE_NUMBER is required) and has no CRM entity.
    if (typeof data.clientPhone !== 'string') return;
    const [seen] = await sql<CallRecord[]>`
      SELECT mode, b24_call_id, finished_at, record_attached_at, record_error FROM bitrix24_calls
      WHERE call_id = ${callId}`;
    let rec = seen;
    const on = await target(data);
    const user = deps.users.b24IdOf(data.agent as string | null) ?? webhookUserId(deps.b24.webhookUrl) ?? '1';
    if (!rec && !telephonyRefused) {
      try {
        const registered = await client.call('telephony.externalcall.register', {
          USER_ID: Number(user),
          PHONE_NUMBER: data.clientPhone,
          TYPE: data.direction === 'out' ? 1 : 2,
          CALL_START_DATE: String(data.startedAt ?? data.endedAt),
          CRM_CREATE: 0,
          ...(on ? { CRM_ENTITY_TYPE: on.type, CRM_ENTITY_ID: Number(on.id) } : {}),
          SHOW: 0,
          ...(typeof data.dialled === 'string' ? { LINE_NUMBER: data.dialled } : {}),
          EXTERNAL_CALL_ID: callId,
        });
        const b24CallId = (registered.result as { CALL_ID?: unknown } | null)?.CALL_ID;
        if (typeof b24CallId !== 'string' || !b24CallId)
          throw new Bitrix24Error('bitrix24 telephony.externalcall.register: no CALL_ID', {
            b24code: '',
            status: 200,
            retryable: false,
          });
        // Kept before anything else: a retry from here on finishes this CALL_ID, never registers again.
        await record(callId, { mode: 'telephony', b24CallId });
        rec = { mode: 'telephony', b24CallId, finishedAt: null, recordAttachedAt: null, recordError: null };
      } catch (err) {
        if (!(err instanceof Bitrix24Error && TELEPHONY_REFUSED.has(err.b24code))) throw err;
        telephonyRefused = true;
        deps.log.warn(
          { err: errorMessage(err) },
          'bitrix24 refuses telephony methods: calls go to timeline comments',
        );
      }
    }
    if (!rec) {
      if (!on) return;
      await comment(data, on);
      await record(callId, { mode: 'comment' });
      return;
    }
    if (rec.mode !== 'telephony' || !rec.b24CallId) return;
    if (!rec.finishedAt) {
      await client
        .call('telephony.externalcall.finish', {
          CALL_ID: rec.b24CallId,
          USER_ID: Number(user),
          DURATION: Number(data.talkSeconds ?? 0),
          // 200 answered; 304 missed (the PBX does not say busy 486 or declined 603 apart).
          STATUS_CODE: data.state === 'missed' ? '304' : '200',
        })
        .catch((err) => {
          // Our own CALL_ID "is not found" once it was finished: an earlier finish ran and lost its answer.
          if (!(err instanceof Bitrix24Error && /call is not found/i.test(err.message))) throw err;
        });
      await sql`UPDATE bitrix24_calls SET finished_at = ${deps.clock()} WHERE call_id = ${callId}`;
    }
    if (rec.recordAttachedAt || rec.recordError) return;
    // The link as the calls row has it now (a Mango recording can be announced after the call).
    const [call] = await sql<{ recordingUrl: string | null }[]>`
      SELECT recording_url FROM calls WHERE id = ${callId}`;
    const url = call?.recordingUrl;
    if (!url || !/^https?:\/\//.test(url)) return;
    try {
      await client.call('telephony.externalCall.attachRecord', {
        CALL_ID: rec.b24CallId,
        FILENAME: `${callId}${/\.wav(\?|$)/i.test(url) ? '.wav' : '.mp3'}`,
        RECORD_URL: url,
      });
      await sql`UPDATE bitrix24_calls SET record_attached_at = ${deps.clock()} WHERE call_id = ${callId}`;
    } catch (err) {
      // The portal tries the link once (it may need the PBX's credentials): the call stays logged without it.
      if (err instanceof Bitrix24Error && err.retryable) throw err;
      await sql`UPDATE bitrix24_calls SET record_error = ${errorMessage(err).slice(0, 500)} WHERE call_id = ${callId}`;
    }
  };
}
