import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshEmail, freshPhone, phoneFormats } from './support/ids.js';
import { backends } from './support/pg.js';

describe.each(backends())('HTTP API on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  describe('auth', () => {
    it.each([
      ['no token', null, 'missing bearer token'],
      ['a wrong token', 'wrong-token-0123456789', 'invalid token'],
      ['a prefix of the right token', 'test-token', 'invalid token'],
    ])('refuses %s with 401', async (_what, token, message) => {
      const res = await ctx.request('POST', '/api/v1/inbound', inboundBody(), { token });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'unauthorized', message });
    });

    it('leaves health, readiness, metrics and the OpenAPI document open', async () => {
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
        expect((await ctx.request('GET', path, undefined, { token: null })).status).toBe(200);
    });
  });

  describe('validation', () => {
    it.each([
      ['a missing channel', { channel: undefined }, 'channel'],
      ['an unknown channel', { channel: 'fax' }, 'channel'],
      ['a date without an offset', { occurredAt: '2026-11-20 09:15' }, 'occurredAt'],
      ['a phone that is not a string', { from: { phones: [79123456789] } }, 'from.phones.0'],
      ['an inbound message without from', { from: undefined }, 'from'],
      ['an outbound message without to', { direction: 'out' }, 'to'],
      ['a userId on a non-messenger channel', { from: { userId: '42' } }, 'from.userId'],
      ['a call on a non-phone channel', { call: { state: 'missed' } }, 'call'],
    ])('answers 400 naming the field for %s', async (_what, overrides, field) => {
      const res = await ctx.request('POST', '/api/v1/inbound', inboundBody(overrides));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.issues.map((i: { field: string }) => i.field)).toContain(field);
      expect(res.body.error.message).toContain(field);
    });

    it('keeps a rejected body for inspection (nothing a client wrote is lost)', async () => {
      const marker = `lost-${freshPhone()}`;
      await ctx.request('POST', '/api/v1/inbound', inboundBody({ channel: 'fax', text: marker }));
      const rows = await ctx.db
        .sql`SELECT status, last_error FROM inbound_events WHERE payload->>'text' = ${marker}`;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'rejected' });
      expect(rows[0]!.lastError).toContain('channel');
    });

    it('answers 400 for malformed JSON and 415 for a non-JSON body', async () => {
      const bad = await ctx.request('POST', '/api/v1/inbound', undefined, { raw: '{"channel": "webform",' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('invalid_json');
      const text = await ctx.request('POST', '/api/v1/inbound', undefined, {
        raw: 'channel=webform',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(text.status).toBe(415);
    });

    it('answers 413 for a body over the configured limit', async () => {
      const res = await ctx.request('POST', '/api/v1/inbound', inboundBody({ text: 'я'.repeat(70 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    it('answers 404 with JSON for unknown leads, contacts and routes', async () => {
      expect((await ctx.request('GET', '/api/v1/leads/00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
      expect((await ctx.request('GET', '/api/v1/contacts/00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
      const nowhere = await ctx.request('GET', '/api/v1/nowhere');
      expect(nowhere.status).toBe(404);
      expect(nowhere.body.error.code).toBe('not_found');
      expect((await ctx.request('GET', '/api/v1/leads/not-a-uuid')).status).toBe(400);
    });
  });

  describe('contacts lookup', () => {
    it('finds a contact by its phone in every format channels send, and by email in any case', async () => {
      const phone = freshPhone();
      const email = freshEmail();
      const d = (
        await ctx.request(
          'POST',
          '/api/v1/inbound',
          inboundBody({ from: { phones: [phone], emails: [email] } }),
        )
      ).body.decision;
      for (const format of phoneFormats(phone)) {
        const res = await ctx.request('GET', `/api/v1/contacts?phone=${encodeURIComponent(format)}`);
        expect(
          res.body.contacts.map((c: { id: string }) => c.id),
          format,
        ).toEqual([d.contactId]);
      }
      const byEmail = await ctx.request(
        'GET',
        `/api/v1/contacts?email=${encodeURIComponent(email.toUpperCase())}`,
      );
      expect(byEmail.body.contacts[0].id).toBe(d.contactId);
    });

    it('finds a contact by a messenger id scoped by account', async () => {
      const d = (
        await ctx.request(
          'POST',
          '/api/v1/inbound',
          inboundBody({ channel: 'vk', account: 'club7', from: { userId: '5551' } }),
        )
      ).body.decision;
      const found = await ctx.request('GET', '/api/v1/contacts?channel=vk&account=club7&userId=5551');
      expect(found.body.contacts[0].id).toBe(d.contactId);
      const otherAccount = await ctx.request('GET', '/api/v1/contacts?channel=vk&account=club8&userId=5551');
      expect(otherAccount.body.contacts).toEqual([]);
      const incomplete = await ctx.request('GET', '/api/v1/contacts?channel=vk&userId=5551');
      expect(incomplete.status).toBe(400);
      expect(incomplete.body.error.issues[0].field).toBe('account');
    });

    it('rejects a lookup without any identity or with an invalid phone', async () => {
      expect((await ctx.request('GET', '/api/v1/contacts')).status).toBe(400);
      const bad = await ctx.request('GET', '/api/v1/contacts?phone=123');
      expect(bad.status).toBe(400);
      expect(bad.body.error.issues[0].field).toBe('phone');
    });
  });

  describe('leads', () => {
    it('moves a lead new -> in_progress -> converted with the trail, and refuses going back', async () => {
      const d = (
        await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [freshPhone()] } }))
      ).body.decision;
      ctx.clock.advance(30 * 60_000);
      const taken = await ctx.request('PATCH', `/api/v1/leads/${d.leadId}`, {
        status: 'in_progress',
        responsible: 'petrova',
      });
      expect(taken.status).toBe(200);
      expect(taken.body).toMatchObject({ status: 'in_progress', responsible: 'petrova' });
      expect(new Date(taken.body.takenAt).getTime()).toBe(ctx.clock.clock().getTime());
      const converted = await ctx.request('PATCH', `/api/v1/leads/${d.leadId}`, { status: 'converted' });
      expect(converted.body.closedAt).not.toBeNull();
      const back = await ctx.request('PATCH', `/api/v1/leads/${d.leadId}`, { status: 'new' });
      expect(back.status).toBe(409);
      const lead = await ctx.request('GET', `/api/v1/leads/${d.leadId}`);
      expect(lead.body.trail.map((t: { action: string; actor: string }) => `${t.actor} ${t.action}`)).toEqual(
        ['pipeline decision.new_lead', 'api:crm lead.updated', 'api:crm lead.updated'],
      );
      expect(lead.body.contact.status).toBe('client');
    });

    it('refuses an unknown manager and an empty patch', async () => {
      const d = (
        await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [freshPhone()] } }))
      ).body.decision;
      const unknown = await ctx.request('PATCH', `/api/v1/leads/${d.leadId}`, { responsible: 'nobody' });
      expect(unknown.status).toBe(422);
      const empty = await ctx.request('PATCH', `/api/v1/leads/${d.leadId}`, {});
      expect(empty.status).toBe(400);
    });

    it('lists leads by status and since, newest first, with a cursor', async () => {
      ctx.clock.set(new Date('2030-01-01T00:00:00Z'));
      for (let i = 0; i < 5; i++)
        await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [freshPhone()] } }));
      const since = encodeURIComponent('2020-01-01T00:00:00Z');
      const page1 = await ctx.request('GET', `/api/v1/leads?status=new&since=${since}&limit=3`);
      expect(page1.body.leads).toHaveLength(3);
      const page2 = await ctx.request(
        'GET',
        `/api/v1/leads?status=new&since=${since}&limit=3&cursor=${page1.body.nextCursor}`,
      );
      const ids = [...page1.body.leads, ...page2.body.leads].map((l: { id: string }) => l.id);
      expect(new Set(ids).size).toBe(ids.length);
      const created = [...page1.body.leads, ...page2.body.leads].map(
        (l: { createdAt: string }) => l.createdAt,
      );
      expect([...created].sort().reverse()).toEqual(created);
    });
  });

  it('counts events by channel and decision in /metrics', async () => {
    await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'avito', account: 'shop', from: { userId: 'a-1' } }),
    );
    const res = await ctx.app.request('/metrics');
    const text = await res.text();
    expect(text).toMatch(/switchboard_inbound_events_total\{channel="avito",decision="new_lead"\} 1/);
    expect(text).toContain('switchboard_decision_duration_seconds_bucket');
  });

  it('describes the API in OpenAPI', async () => {
    const doc = (await ctx.request('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/inbound',
        '/api/v1/contacts/{id}',
        '/api/v1/deals/{externalId}',
        '/api/v1/leads/{id}',
      ]),
    );
    // The CRM's PUT by its own id and the GET by Switchboard's id share one path (one parameter name).
    expect(Object.keys(doc.paths['/api/v1/contacts/{id}'])).toEqual(expect.arrayContaining(['get', 'put']));
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });
});
