import type { Hono } from 'hono';
import { z } from 'zod';
import { sendReply } from '../../channels/reply/send-reply.js';
import { SwitchboardError, ValidationError } from '../../core/errors.js';
import { patchLead } from '../../crm/lead-updates.js';
import type { LeadPatch } from '../../crm/schemas.js';
import { clickToCall } from '../../telephony/click-to-call.js';
import type { WebContext, WebDeps, WebEnv } from '../context.js';
import { type JunkReason, ru } from '../i18n/ru.js';
import { contactHasPhone, isContactConversation, leadFor } from '../services/lead-view.js';
import { colleagues } from '../services/users.js';
import { HttpPageError, refusalText } from './errors.js';
import { renderLeadPage } from './lead.js';

/** Refusals of a reply that keep the draft on the page, with the status the page answers. */
const REPLY_REFUSED: Record<string, 422 | 502> = { upstream_failed: 502, unprocessable: 422 };

const ID = '/leads/:id{[0-9a-f-]{36}}';

/**
 * Lead actions as plain form posts (post -> redirect -> get): each calls the service the API's PATCH /leads/{id}
 * calls, with the person as the audit actor (`web:<login>`).
 */
export function registerLeadActions(web: Hono<WebEnv>, deps: WebDeps): void {
  const managers = new Set(deps.config.managers.map((m) => m.login));
  const actor = (c: WebContext) => `web:${c.get('user').login}`;

  const visibleLead = async (c: WebContext) => {
    const access = await leadFor(deps.sql, c.get('user'), c.req.param('id')!);
    if (!access.ok) throw new HttpPageError(access.reason === 'forbidden' ? 403 : 404);
    return access.lead;
  };
  const act = (
    path: string,
    flash: string,
    patch: (c: WebContext, form: Record<string, unknown>) => LeadPatch,
  ) =>
    web.post(`${ID}/${path}`, async (c) => {
      const lead = await visibleLead(c);
      const form = await c.req.parseBody();
      await patchLead(deps.sql, lead.id, patch(c, form), { actor: actor(c), clock: deps.clock, managers });
      return c.redirect(`/leads/${lead.id}?ok=${flash}`, 303);
    });

  act('take', 'taken', (c) => ({ status: 'in_progress', responsible: c.get('user').login }));
  act('convert', 'converted', (_c, form) => {
    const deal = String(form.dealExternalId ?? '').trim();
    return { status: 'converted', ...(deal ? { dealExternalId: deal } : {}) };
  });
  act('junk', 'junked', (_c, form) => {
    const reason = String(form.reason ?? '') as JunkReason;
    if (!(reason in ru.junkReasons))
      throw new ValidationError('choose a reason', [{ field: 'reason', message: 'required' }]);
    return { status: 'junk', comment: `причина: ${ru.junkReasons[reason]}` };
  });
  act('reassign', 'reassigned', (c, form) => {
    const to = String(form.responsible ?? '');
    // Only to a colleague of the teams the person sees: the same list the form offers.
    if (!colleagues(deps.config, c.get('user')).some((m) => m.login === to))
      throw new ValidationError('not a colleague', [{ field: 'responsible', message: 'unknown' }]);
    return { responsible: to };
  });

  web.post(`${ID}/call`, async (c) => {
    const lead = await visibleLead(c);
    const phone = String((await c.req.parseBody()).phone ?? '');
    if (!deps.telephony || !(await contactHasPhone(deps.sql, lead.contactId, phone)))
      throw new HttpPageError(404);
    await clickToCall({ ...deps, telephony: deps.telephony }, { manager: c.get('user').login, phone });
    return c.redirect(`/leads/${lead.id}?ok=calling`, 303);
  });

  const replyForm = z.object({
    conversationId: z.uuid(),
    // NUL never reaches PostgreSQL text (the API's JSON bodies are cleaned the same way, src/core/safe-json.ts).
    text: z
      .string()
      .transform((t) => t.replaceAll('\u0000', '').trim())
      .pipe(z.string().min(1).max(100_000)),
    subject: z.string().trim().max(500).optional(),
    idempotencyKey: z.string().trim().min(1).max(200).optional(),
  });
  web.post(`${ID}/reply`, async (c) => {
    const lead = await visibleLead(c);
    const parsed = replyForm.safeParse(await c.req.parseBody());
    if (!parsed.success)
      throw new ValidationError('the reply is empty', [{ field: 'text', message: 'required' }]);
    const { conversationId, text, subject, idempotencyKey } = parsed.data;
    // The conversation must be this lead's contact's: a forged id cannot write into someone else's thread.
    if (!(await isContactConversation(deps.sql, conversationId, lead.contactId)))
      throw new HttpPageError(404);
    try {
      await sendReply(deps, conversationId, {
        text,
        ...(subject ? { subject } : {}),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        actor: actor(c),
      });
    } catch (err) {
      // The channel refused or could not be reached: the page comes back with the text typed and the reason.
      if (!(err instanceof SwitchboardError) || !REPLY_REFUSED[err.code]) throw err;
      deps.log.warn({ code: err.code, err: err.message, leadId: lead.id }, 'web reply not sent');
      return renderLeadPage(c, deps, lead, {
        status: REPLY_REFUSED[err.code],
        draft: {
          conversationId,
          text,
          ...(subject ? { subject } : {}),
          error: refusalText(err, err.code === 'unprocessable' ? ru.lead.replyRefused : undefined),
        },
      });
    }
    return c.redirect(`/leads/${lead.id}?ok=sent`, 303);
  });
}
