import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshEmail, freshPhone, phoneFormats } from './support/ids.js';
import { backends } from './support/pg.js';

// The lead rules take advisory locks on the message and identities, then the contact row, and read what
// those locks guard (pipelined on one connection). Deliveries that race must still serialize.
describe.each(backends())('concurrent deliveries on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  const post = (body: unknown) => ctx.request('POST', '/api/v1/inbound', body);

  it('one new person arriving on several channels at once becomes one contact with one lead', async () => {
    const formats = phoneFormats(freshPhone()).slice(0, 5);
    const email = freshEmail();
    const bodies = [
      ...formats.map((phone) => inboundBody({ from: { phones: [phone] } })),
      inboundBody({
        channel: 'phone',
        account: 'pbx',
        from: { phones: [formats[0]!] },
        call: { state: 'missed' },
      }),
      inboundBody({ channel: 'email', account: 'sales', from: { emails: [email], phones: [formats[1]!] } }),
    ];
    const results = await Promise.all(bodies.map(post));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const decisions = results.map((r) => r.body.decision);
    expect(new Set(decisions.map((d) => d.contactId)).size).toBe(1);
    expect(decisions.filter((d) => d.kind === 'new_lead')).toHaveLength(1);
    expect(decisions.filter((d) => d.kind === 'attached_to_lead')).toHaveLength(bodies.length - 1);
    const [row] = await ctx.db.sql<{ leads: number; phones: number }[]>`
      SELECT (SELECT count(*) FROM leads WHERE contact_id = ${decisions[0].contactId})::int AS leads,
             (SELECT count(*) FROM identities WHERE contact_id = ${decisions[0].contactId} AND kind = 'phone')::int AS phones`;
    expect(row).toEqual({ leads: 1, phones: 1 });
  });

  it('the same delivery retried concurrently is stored once; the retries are duplicates of it', async () => {
    const body = inboundBody({ from: { phones: [freshPhone()] } });
    const results = await Promise.all(Array.from({ length: 6 }, () => post(body)));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const decisions = results.map((r) => r.body.decision);
    expect(decisions.filter((d) => d.kind === 'new_lead')).toHaveLength(1);
    expect(decisions.filter((d) => d.kind === 'duplicate')).toHaveLength(5);
    expect(new Set(decisions.map((d) => d.messageId)).size).toBe(1);
    const [row] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM messages WHERE external_id = ${body.externalId}`;
    expect(row!.n).toBe(1);
  });
});
