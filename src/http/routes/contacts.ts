import { createRoute, z } from '@hono/zod-openapi';
import { IDENTITY_KINDS, type RawIdentity } from '../../core/communication.js';
import { NotFoundError, ValidationError } from '../../core/errors.js';
import { contactDetails, contactsByIdentities } from '../../db/repos/read-models.js';
import { type Identity, normalizeIdentity } from '../../identity/identity.js';
import type { App, AppDeps } from '../app-types.js';
import { anyObject, errors, ok, security, uuidParam } from './schemas.js';

const lookupQuery = z.object({
  phone: z.string().max(100).optional(),
  email: z.string().max(320).optional(),
  channel: z.enum(IDENTITY_KINDS.filter((k) => k !== 'phone' && k !== 'email') as ['whatsapp']).optional(),
  account: z.string().max(200).optional(),
  userId: z.string().max(200).optional(),
});

const lookup = createRoute({
  method: 'get',
  path: '/api/v1/contacts',
  operationId: 'findContacts',
  summary: 'Find contacts by any identity, in any input format',
  security,
  request: { query: lookupQuery },
  responses: { 200: ok('Matching contacts', z.object({ contacts: z.array(anyObject) })), ...errors },
});

const details = createRoute({
  method: 'get',
  path: '/api/v1/contacts/{id}',
  operationId: 'getContact',
  summary: 'A contact with identities, leads, deals, conversations and open merge suggestions',
  security,
  request: { params: uuidParam },
  responses: { 200: ok('The contact'), ...errors },
});

export function registerContacts(app: App, deps: AppDeps): void {
  app.openapi(lookup, async (c) => {
    const q = c.req.valid('query');
    const raws: [string, RawIdentity][] = [];
    if (q.phone) raws.push(['phone', { kind: 'phone', value: q.phone }]);
    if (q.email) raws.push(['email', { kind: 'email', value: q.email }]);
    if (q.channel || q.userId) {
      if (!q.channel || !q.userId || !q.account)
        throw new ValidationError('channel, account and userId go together', [
          {
            field: !q.channel ? 'channel' : !q.account ? 'account' : 'userId',
            message: 'required with the others',
          },
        ]);
      raws.push(['userId', { kind: q.channel, account: q.account, value: q.userId }]);
    }
    if (raws.length === 0)
      throw new ValidationError('give phone, email, or channel+account+userId', [
        { field: 'phone', message: 'required' },
      ]);
    const identities: Identity[] = [];
    for (const [field, raw] of raws) {
      const r = normalizeIdentity(raw, deps.policy);
      if (r.ok) identities.push(r.identity);
      else if (
        r.reason !== 'own_number' &&
        r.reason !== 'own_address' &&
        r.reason !== 'own_domain' &&
        r.reason !== 'robot_address'
      )
        throw new ValidationError(`${field}: not a valid ${r.kind} (${r.reason})`, [
          { field, message: r.reason },
        ]);
    }
    return c.json({ contacts: await contactsByIdentities(deps.sql, identities) }, 200);
  });

  app.openapi(details, async (c) => {
    const contact = await contactDetails(deps.sql, c.req.valid('param').id);
    if (!contact) throw new NotFoundError('contact');
    return c.json(contact, 200);
  });
}
