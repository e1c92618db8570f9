import { storeInboundEvent } from '../../ingest/inbound-store.js';
import { queueCallRecording } from '../call-store.js';
import { recordLiveEvent, type WebhookDeps, type WebhookReply } from '../webhook-deps.js';
import { MANGO_RECORDING_PREFIX } from './commands.js';
import { callEventToLegEvent, type StoredSummary } from './normalize.js';
import {
  callEventSchema,
  MANGO_EVENTS,
  mangoFormSchema,
  recordingEventSchema,
  summarySchema,
} from './schema.js';
import { verifyMango } from './sign.js';

const OK: WebhookReply = { status: 200 };
const bad = (message: string): WebhookReply => ({ status: 400, body: { error: message } });

/**
 * Mango Office notifications: POST /webhooks/mango/<account>/events/<call|summary|recording|dtmf|sms>,
 * form fields vpbx_api_key, sign, json. The signature is checked on the raw `json` field before anything
 * is parsed. Mango reads only the status code. `summary` is authoritative and goes through the pipeline;
 * `call` only updates live state, ordered by `seq`.
 */
export function createMangoWebhook(deps: WebhookDeps) {
  return async function handle(accountId: string, eventKind: string, raw: string): Promise<WebhookReply> {
    const account = deps.telephony.mango.get(accountId);
    if (!account) return { status: 404, body: { error: 'Unknown account' } };
    const form = mangoFormSchema.safeParse(Object.fromEntries(new URLSearchParams(raw)));
    if (!form.success) return bad(`${form.error.issues[0]?.path.join('.') || 'body'}: required form field`);
    if (!verifyMango(form.data, account)) {
      deps.log.warn(
        { provider: 'mango', account: accountId },
        'webhook with a wrong key or signature refused',
      );
      return { status: 401, body: { error: 'Invalid signature' } };
    }
    let json: unknown;
    try {
      json = JSON.parse(form.data.json);
    } catch {
      return bad('json: not JSON');
    }
    if (!(MANGO_EVENTS as readonly string[]).includes(eventKind)) {
      deps.log.warn(
        { provider: 'mango', event: eventKind.slice(0, 40) },
        'unknown Mango notification ignored',
      );
      return OK;
    }
    switch (eventKind as (typeof MANGO_EVENTS)[number]) {
      case 'call':
        return call(accountId, json);
      case 'summary':
        return summary(accountId, json, form.data.json);
      case 'recording':
        return recording(accountId, json);
      case 'dtmf':
      case 'sms':
        return OK;
    }
  };

  async function call(accountId: string, json: unknown): Promise<WebhookReply> {
    const e = callEventSchema.safeParse(json);
    if (!e.success) return bad(`json.${e.error.issues[0]?.path.join('.')}: ${e.error.issues[0]?.message}`);
    const leg = callEventToLegEvent(accountId, e.data);
    if (!leg) return OK;
    await recordLiveEvent(deps, leg);
    return OK;
  }

  async function summary(accountId: string, json: unknown, rawJson: string): Promise<WebhookReply> {
    const payload: StoredSummary = { account: accountId, summary: json };
    const s = summarySchema.safeParse(json);
    const raw = new TextEncoder().encode(rawJson);
    if (!s.success) {
      const issue = s.error.issues[0];
      await storeInboundEvent(deps.sql, {
        source: 'mango',
        account: accountId,
        payload,
        raw,
        rejectedWith: `json.${issue?.path.join('.')}: ${issue?.message ?? 'invalid'}`,
      });
      return bad(`json.${issue?.path.join('.')}: ${issue?.message}`);
    }
    const eventId = await storeInboundEvent(deps.sql, {
      source: 'mango',
      account: accountId,
      externalId: s.data.entry_id,
      payload,
      raw,
    });
    void deps.processor.process(eventId);
    return OK;
  }

  async function recording(accountId: string, json: unknown): Promise<WebhookReply> {
    const r = recordingEventSchema.safeParse(json);
    if (!r.success) return bad(`json.${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}`);
    if (r.data.recording_state.toLowerCase() !== 'completed') return OK;
    await queueCallRecording(
      deps.sql,
      { provider: 'mango', account: accountId, callKey: r.data.entry_id },
      `${MANGO_RECORDING_PREFIX}${r.data.recording_id}`,
      deps.clock(),
    );
    return OK;
  }
}
