import {
  refuse,
  unknownAccount,
  unverified,
  type WebhookResponse,
  webhookRoute,
} from '../../channels/webhook/route.js';
import { parseStorableJson } from '../../core/safe-json.js';
import { queueCallRecording } from '../call-store.js';
import { recordLiveEvent, type WebhookDeps } from '../webhook-deps.js';
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

const OK: WebhookResponse = { status: 200 };
const bad = (message: string): WebhookResponse => ({ status: 400, json: { error: message } });

/**
 * Mango Office notifications: POST /webhooks/mango/<account>/events/<call|summary|recording|dtmf|sms>,
 * form fields vpbx_api_key, sign, json. The signature is checked on the raw `json` field before anything
 * is parsed. Mango reads only the status code: every signed notification of a known kind gets 200, even a
 * malformed one (logged; a summary is kept, as rejected when it lacks entry_id). `summary` is authoritative and
 * goes through the pipeline (read leniently); `call` only updates live state, ordered by `seq`.
 */
export function mangoWebhooks(deps: WebhookDeps) {
  const notification = webhookRoute<{ json: string }>({
    method: 'POST',
    path: '/events/:event',
    verify(req) {
      const account = deps.telephony.mango.get(req.account);
      if (!account) return unknownAccount();
      const form = mangoFormSchema.safeParse(Object.fromEntries(new URLSearchParams(req.text())));
      if (!form.success)
        return {
          ok: false,
          status: 400,
          reason: 'missing form fields',
          response: bad(`${form.error.issues[0]?.path.join('.') || 'body'}: required form field`),
        };
      if (!verifyMango(form.data, account)) return refuse(401, 'wrong key or signature', 'Invalid signature');
      return { ok: true, value: { json: form.data.json } };
    },
    async handle(req, form) {
      const eventKind = req.params.event ?? '';
      const raw = new TextEncoder().encode(form.json);
      const parsed = parseStorableJson(raw);
      if (!parsed.ok) {
        // Signed by the PBX, so it is kept (rejected, with the reason) even though it cannot be read.
        await deps.intake.reject({
          source: 'mango',
          account: req.account,
          raw,
          contentType: 'application/json',
          reason: `json: ${parsed.reason}`,
        });
        return bad(`json: ${parsed.reason}`);
      }
      const json = parsed.value;
      if (!(MANGO_EVENTS as readonly string[]).includes(eventKind)) {
        deps.log.warn(
          { provider: 'mango', event: eventKind.slice(0, 40) },
          'unknown Mango notification ignored',
        );
        return OK;
      }
      switch (eventKind as (typeof MANGO_EVENTS)[number]) {
        case 'call':
          return call(req.account, json);
        case 'summary':
          return summary(req.account, json, form.json);
        case 'recording':
          return recording(req.account, json);
        case 'dtmf':
        case 'sms':
          return OK;
      }
    },
  });
  // The cabinet's "Проверить подключение" and command results: acknowledged, nothing to do.
  const ping = webhookRoute({ method: 'POST', path: '/ping', verify: unverified, handle: async () => OK });
  const result = webhookRoute({
    method: 'POST',
    path: '/result/:what',
    verify: unverified,
    handle: async () => OK,
  });

  /** A notification too malformed to use: 200 all the same (Mango reads only the status), logged by field. */
  function ignored(event: string, field: string | undefined): WebhookResponse {
    deps.log.warn(
      { provider: 'mango', event, field: field?.slice(0, 64) },
      'malformed Mango notification ignored',
    );
    return OK;
  }

  async function call(accountId: string, json: unknown): Promise<WebhookResponse> {
    const e = callEventSchema.safeParse(json);
    if (!e.success) return ignored('call', e.error.issues[0]?.path.join('.'));
    const leg = callEventToLegEvent(accountId, e.data);
    if (!leg) return OK;
    await recordLiveEvent(deps, leg);
    return OK;
  }

  async function summary(accountId: string, json: unknown, rawJson: string): Promise<WebhookResponse> {
    const payload: StoredSummary = {
      account: accountId,
      summary: json,
      receivedAt: deps.clock().toISOString(),
    };
    const s = summarySchema.safeParse(json);
    const raw = new TextEncoder().encode(rawJson);
    if (!s.success) {
      const issue = s.error.issues[0];
      await deps.intake.reject({
        source: 'mango',
        account: accountId,
        payload,
        raw,
        reason: `json.${issue?.path.join('.')}: ${issue?.message ?? 'invalid'}`,
      });
      // Without its entry_id the record cannot be deduplicated: kept as rejected (retryable), still 200.
      return OK;
    }
    const eventId = await deps.intake.accept({
      source: 'mango',
      account: accountId,
      externalId: s.data.entry_id,
      payload,
      raw,
    });
    void deps.intake.process(eventId);
    return OK;
  }

  async function recording(accountId: string, json: unknown): Promise<WebhookResponse> {
    const r = recordingEventSchema.safeParse(json);
    if (!r.success) return ignored('recording', r.error.issues[0]?.path.join('.'));
    if (r.data.recording_state.toLowerCase() !== 'completed') return OK;
    await queueCallRecording(
      deps.sql,
      { provider: 'mango', account: accountId, callKey: r.data.entry_id },
      `${MANGO_RECORDING_PREFIX}${r.data.recording_id}`,
      deps.clock(),
    );
    return OK;
  }

  return [notification, ping, result];
}
