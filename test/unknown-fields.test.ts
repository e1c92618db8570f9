import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';

// Issue 16 item 13: unknown fields were silently dropped: `"from":{"vk":"12345"}` made a new lead every time.
describe('unknown fields in API inputs', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext('postgres');
  });
  afterAll(() => ctx?.close());

  it('POST /inbound with `from.vk` is refused twice, naming the field and `userId`; no lead is made', async () => {
    const body = inboundBody({ channel: 'vk', account: 'group-1', from: { name: 'Пётр', vk: '12345' } });
    for (let i = 0; i < 2; i++) {
      const res = await ctx.request('POST', '/api/v1/inbound', {
        ...body,
        externalId: `${body.externalId}-${i}`,
      });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        message: 'from.vk: unknown field "vk" (did you mean "userId"?)',
        issues: [{ field: 'from.vk', message: 'unknown field "vk" (did you mean "userId"?)' }],
      });
    }
    const [row] = await ctx.db
      .sql`SELECT count(*)::int AS n FROM leads WHERE channel = 'vk' AND account = 'group-1'`;
    expect(row!.n).toBe(0);
    // The right field works.
    const ok = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'vk', account: 'group-1', from: { userId: '12345' } }),
    );
    expect(ok.body.decision.kind).toBe('new_lead');
  });

  it('a top-level typo is named too', async () => {
    const res = await ctx.request('POST', '/api/v1/inbound', {
      ...inboundBody({ from: { phones: [freshPhone()] } }),
      occuredAt: 'x',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toContainEqual({
      field: 'occuredAt',
      message: 'unknown field "occuredAt" (did you mean "occurredAt"?)',
    });
  });

  it('PATCH /leads/{id} and the CRM PUTs refuse unknown fields with the nearest name', async () => {
    const lead = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { phones: [freshPhone()] } }),
    );
    const patch = await ctx.request('PATCH', `/api/v1/leads/${lead.body.decision.leadId}`, {
      status: 'in_progress',
      responsibel: 'ivanov',
    });
    expect(patch.status).toBe(400);
    expect(patch.body.error.issues).toEqual([
      { field: 'responsibel', message: 'unknown field "responsibel" (did you mean "responsible"?)' },
    ]);
    const contact = await ctx.request('PUT', '/api/v1/contacts/crm-unknown-1', {
      name: 'Пётр',
      phone: freshPhone(),
    });
    expect(contact.status).toBe(400);
    expect(contact.body.error.issues).toEqual([
      { field: 'phone', message: 'unknown field "phone" (did you mean "phones"?)' },
    ]);
  });

  it('the OpenAPI document says so (additionalProperties: false)', async () => {
    const doc = (await ctx.request('GET', '/openapi.json')).body;
    expect(doc.components.schemas.Party.additionalProperties).toBe(false);
    expect(doc.components.schemas.InboundCommunication.additionalProperties).toBe(false);
  });
});
