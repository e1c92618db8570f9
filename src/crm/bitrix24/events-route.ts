import type { Sql } from 'postgres';
import { refuse, unknownAccount, type WebhookRoute, webhookRoute } from '../../channels/webhook/route.js';
import { secretEquals } from '../../channels/webhook/verify.js';
import type { Bitrix24Config } from '../../config/crm.js';
import type { Clock } from '../../core/clock.js';
import { type B24Event, b24EventSchema } from './schema.js';

/**
 * `POST /webhooks/bitrix24/{account}`: Bitrix24's outgoing webhook (form-encoded, reference §4). The
 * application token is compared in constant time; the event is only a hint (the ID): it is stored, answered
 * 200 at once, and the sync re-reads the record and applies it if newer.
 */
export function bitrix24EventsRoute(deps: {
  sql: Sql;
  b24: Bitrix24Config;
  clock: Clock;
  onHint: () => void;
}): WebhookRoute {
  return webhookRoute<B24Event>({
    method: 'POST',
    path: '',
    verify(req) {
      if (req.account !== deps.b24.account) return unknownAccount();
      const form = Object.fromEntries(new URLSearchParams(req.text()));
      const token = form['auth[application_token]'];
      if (!secretEquals(token, deps.b24.applicationToken))
        return refuse(401, 'bad application token', 'Unauthorized');
      const parsed = b24EventSchema.safeParse(form);
      if (!parsed.success) return refuse(400, 'not a CRM event', 'Bad request');
      return { ok: true, value: parsed.data };
    },
    async handle(_req, e) {
      const [, entity] = /^ONCRM(CONTACT|COMPANY|DEAL|LEAD)/.exec(e.event)!;
      await deps.sql`
        INSERT INTO bitrix24_hints (entity, b24_id, event, received_at)
        VALUES (${entity!.toLowerCase()}, ${e['data[FIELDS][ID]']}, ${e.event}, ${deps.clock()})
        ON CONFLICT (entity, b24_id) DO UPDATE SET event = excluded.event, received_at = excluded.received_at`;
      deps.onHint();
      return { status: 200, json: { ok: true } };
    },
  });
}
