import { type Fields, parseWebhookFields } from '../../channels/webhook/fields.js';
import { refuse, unknownAccount, type WebhookResponse, webhookRoute } from '../../channels/webhook/route.js';
import { secretEquals } from '../../channels/webhook/verify.js';
import { storableJson } from '../../core/safe-json.js';
import { setRating } from '../call-store.js';
import { recordLiveEvent, unknownFieldLogger, type WebhookDeps } from '../webhook-deps.js';
import { eventToLegEvent, type StoredHistory } from './normalize.js';
import {
  contactSchema,
  eventSchema,
  historySchema,
  KNOWN_FIELDS,
  MEGAFON_COMMANDS,
  ratingSchema,
} from './schema.js';

const OK: WebhookResponse = { status: 200, json: { ok: true } };
const invalid = (field?: string): WebhookResponse => ({
  status: 400,
  json: { error: 'Invalid parameters', ...(field ? { field } : {}) },
});

/**
 * The one MegaFon / ITooLabs CRM URL: POST /webhooks/megafon/<account>, form or JSON, `cmd` dispatches.
 * A wrong crm_token is 401; a recognised command always gets a fast 200, even a malformed one (reference
 * §9.6: the PBX retries or flags the integration otherwise, and a retry would not fix it). `history` is
 * stored before the 200 and decided in the background (read leniently; one without a callid is kept as
 * rejected); `contact` is answered inline within its budget; `event` updates the live calls table.
 */
export function megafonWebhook(deps: WebhookDeps) {
  const logUnknown = unknownFieldLogger(deps.log, 'megafon', KNOWN_FIELDS);

  return webhookRoute<Fields>({
    method: 'POST',
    path: '',
    verify(req) {
      const account = deps.telephony.megafon.get(req.account);
      if (!account) return unknownAccount();
      const parsed = parseWebhookFields(req.text(), req.contentType);
      if (!parsed) return { ok: false, status: 400, reason: 'unreadable body', response: invalid() };
      const { crm_token: token, ...fields } = parsed;
      if (!secretEquals(token, account.config.crmToken))
        return refuse(401, 'wrong crm_token', 'Invalid token');
      return { ok: true, value: fields };
    },
    async handle(req, fields) {
      logUnknown(fields);
      const cmd = fields.cmd ?? '';
      if (!(MEGAFON_COMMANDS as readonly string[]).includes(cmd)) {
        deps.log.warn({ provider: 'megafon', cmd: cmd.slice(0, 40) }, 'unknown PBX command ignored');
        return OK;
      }
      switch (cmd as (typeof MEGAFON_COMMANDS)[number]) {
        case 'contact':
          return contact(fields);
        case 'event':
          return event(req.account, fields);
        case 'history':
          return history(
            req.account,
            fields,
            withoutSecret(req.text(), deps.telephony.megafon.get(req.account)!.config.crmToken),
          );
        case 'rating':
          return rating(req.account, fields);
      }
    },
  });

  /** A recognised command too malformed to use: acknowledged (a retry would not fix it), logged by field name. */
  function ignored(cmd: string, field: string | undefined): WebhookResponse {
    deps.log.warn({ provider: 'megafon', cmd, field: field?.slice(0, 64) }, 'malformed PBX command ignored');
    return OK;
  }

  async function contact(fields: Fields): Promise<WebhookResponse> {
    const c = contactSchema.safeParse(fields);
    // Even a malformed lookup gets {}: the caller is waiting and the PBX then dials by its own plan.
    if (!c.success) return { status: 200, json: {} };
    const found = await deps.telephony.lookup(c.data.phone);
    deps.log.debug({ provider: 'megafon', callid: c.data.callid, outcome: found.outcome }, 'contact lookup');
    if (found.outcome !== 'found') return { status: 200, json: {} };
    const { contactName, responsible } = found.answer;
    return {
      status: 200,
      json: {
        ...(contactName ? { contact_name: contactName } : {}),
        ...(responsible ? { responsible } : {}),
      },
    };
  }

  async function event(accountId: string, fields: Fields): Promise<WebhookResponse> {
    const e = eventSchema.safeParse(fields);
    if (!e.success) return ignored('event', e.error.issues[0]?.path.join('.'));
    const leg = eventToLegEvent(accountId, e.data);
    if (!leg) {
      deps.log.info({ provider: 'megafon', type: e.data.type.slice(0, 40) }, 'unknown event type ignored');
      return OK;
    }
    await recordLiveEvent(deps, leg);
    return OK;
  }

  async function history(accountId: string, given: Fields, raw: Uint8Array): Promise<WebhookResponse> {
    // NUL and broken surrogates cannot be stored in json: the derived fields lose them, the raw bytes keep them.
    const fields = storableJson(given) as Fields;
    const payload: StoredHistory = { account: accountId, fields, receivedAt: deps.clock().toISOString() };
    const h = historySchema.safeParse(fields);
    if (!h.success) {
      // Without its callid the record cannot be deduplicated: kept as rejected (retryable), still 200.
      const issue = h.error.issues[0];
      await deps.intake.reject({
        source: 'megafon',
        account: accountId,
        payload,
        raw,
        contentType: 'text/plain; charset=utf-8',
        reason: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      });
      return OK;
    }
    // The decoded fields and the body are stored (without crm_token: no secret at rest). Stored before the
    // 200: a crash from here on is finished by the replayer, never lost.
    const eventId = await deps.intake.accept({
      source: 'megafon',
      account: accountId,
      externalId: h.data.callid,
      payload,
      raw,
      contentType: 'text/plain; charset=utf-8',
    });
    void deps.intake.process(eventId);
    return OK;
  }

  async function rating(accountId: string, fields: Fields): Promise<WebhookResponse> {
    const r = ratingSchema.safeParse(fields);
    if (!r.success) return ignored('rating', r.error.issues[0]?.path.join('.'));
    await setRating(
      deps.sql,
      { provider: 'megafon', account: accountId, callKey: r.data.callid },
      r.data.rating,
      deps.clock(),
    );
    return OK;
  }
}

/** The body as received, with the PBX's token (plain or URL-encoded) replaced: no secret at rest. */
function withoutSecret(body: string, secret: string): Uint8Array {
  let text = body;
  for (const form of new Set([secret, encodeURIComponent(secret)]))
    if (form) text = text.split(form).join('[redacted]');
  return new TextEncoder().encode(text);
}
