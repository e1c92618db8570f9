import { storeInboundEvent } from '../../ingest/inbound-store.js';
import { setRating } from '../call-store.js';
import { type Fields, parseWebhookFields, secretEquals } from '../webhook-body.js';
import { recordLiveEvent, unknownFieldLogger, type WebhookDeps, type WebhookReply } from '../webhook-deps.js';
import { eventToLegEvent, type StoredHistory } from './normalize.js';
import {
  contactSchema,
  eventSchema,
  historySchema,
  KNOWN_FIELDS,
  MEGAFON_COMMANDS,
  ratingSchema,
} from './schema.js';

const OK: WebhookReply = { status: 200, body: { ok: true } };
const invalid = (field?: string): WebhookReply => ({
  status: 400,
  body: { error: 'Invalid parameters', ...(field ? { field } : {}) },
});

/**
 * The one MegaFon / ITooLabs CRM URL: POST /webhooks/megafon/<account>, form or JSON, `cmd` dispatches.
 * A wrong crm_token is 401; a recognised command always gets a fast 200 (the PBX retries or flags the
 * integration otherwise), except a malformed one (400). `history` is stored before the 200 and decided in
 * the background; `contact` is answered inline within its budget; `event` updates the live calls table.
 */
export function createMegafonWebhook(deps: WebhookDeps) {
  const logUnknown = unknownFieldLogger(deps.log, 'megafon', KNOWN_FIELDS);

  return async function handle(accountId: string, raw: string, contentType?: string): Promise<WebhookReply> {
    const account = deps.telephony.megafon.get(accountId);
    if (!account) return { status: 404, body: { error: 'Unknown account' } };
    const parsed = parseWebhookFields(raw, contentType);
    if (!parsed) return invalid();
    const { crm_token: token, ...fields } = parsed;
    if (!secretEquals(token, account.config.crmToken)) {
      deps.log.warn({ provider: 'megafon', account: accountId }, 'webhook with a wrong crm_token refused');
      return { status: 401, body: { error: 'Invalid token' } };
    }
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
        return event(accountId, fields);
      case 'history':
        return history(accountId, fields);
      case 'rating':
        return rating(accountId, fields);
    }
  };

  async function contact(fields: Fields): Promise<WebhookReply> {
    const c = contactSchema.safeParse(fields);
    // Even a malformed lookup gets {}: the caller is waiting and the PBX then dials by its own plan.
    if (!c.success) return { status: 200, body: {} };
    const found = await deps.telephony.lookup(c.data.phone);
    deps.log.debug({ provider: 'megafon', callid: c.data.callid, outcome: found.outcome }, 'contact lookup');
    if (found.outcome !== 'found') return { status: 200, body: {} };
    const { contactName, responsible } = found.answer;
    return {
      status: 200,
      body: {
        ...(contactName ? { contact_name: contactName } : {}),
        ...(responsible ? { responsible } : {}),
      },
    };
  }

  async function event(accountId: string, fields: Fields): Promise<WebhookReply> {
    const e = eventSchema.safeParse(fields);
    if (!e.success) return invalid(e.error.issues[0]?.path.join('.'));
    const leg = eventToLegEvent(accountId, e.data);
    if (!leg) {
      deps.log.info({ provider: 'megafon', type: e.data.type.slice(0, 40) }, 'unknown event type ignored');
      return OK;
    }
    await recordLiveEvent(deps, leg);
    return OK;
  }

  async function history(accountId: string, fields: Fields): Promise<WebhookReply> {
    const payload: StoredHistory = { account: accountId, fields };
    const h = historySchema.safeParse(fields);
    if (!h.success) {
      const issue = h.error.issues[0];
      const where = issue?.path.join('.') ?? '';
      await storeInboundEvent(deps.sql, {
        source: 'megafon',
        account: accountId,
        payload,
        rejectedWith: `${where}: ${issue?.message ?? 'invalid'}`,
      });
      return invalid(where);
    }
    // The decoded fields are stored (without crm_token: no secret at rest). Stored before the 200: a crash from here on is finished by the replayer, never lost.
    const eventId = await storeInboundEvent(deps.sql, {
      source: 'megafon',
      account: accountId,
      externalId: h.data.callid,
      payload,
    });
    void deps.processor.process(eventId);
    return OK;
  }

  async function rating(accountId: string, fields: Fields): Promise<WebhookReply> {
    const r = ratingSchema.safeParse(fields);
    if (!r.success) return invalid(r.error.issues[0]?.path.join('.'));
    await setRating(
      deps.sql,
      { provider: 'megafon', account: accountId, callKey: r.data.callid },
      r.data.rating,
      deps.clock(),
    );
    return OK;
  }
}
