import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshEmail, freshPhone, phoneFormats } from './support/ids.js';
import { backends } from './support/pg.js';

const CHANNELS = ['webform', 'email', 'whatsapp', 'phone', 'vk', 'api'] as const;

describe.each(backends())('concurrent intake on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  it('the same people writing on several channels at once yield one contact and one lead each', async () => {
    const people = Array.from({ length: 20 }, () => ({ phone: freshPhone(), email: freshEmail() }));
    const bodies = people.flatMap((p, i) =>
      CHANNELS.map((channel, j) => {
        const formats = phoneFormats(p.phone);
        const from: Record<string, unknown> = { phones: [formats[(i + j) % formats.length]] };
        if (j % 2 === 0) from.emails = [j % 4 === 0 ? p.email.toUpperCase() : ` ${p.email} `];
        if (channel === 'whatsapp' || channel === 'vk') from.userId = `u-${p.phone}`;
        return inboundBody({ channel, account: `acc-${channel}`, from });
      }),
    );
    // Shuffle so a person's events interleave with everyone else's.
    bodies.sort(() => Math.random() - 0.5);
    expect(bodies.length).toBeGreaterThanOrEqual(100);

    const results = await Promise.all(bodies.map((b) => ctx.request('POST', '/api/v1/inbound', b)));
    for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const kinds = results.map((r) => r.body.decision.kind);
    expect(kinds.filter((k) => k === 'new_lead')).toHaveLength(people.length);
    expect(kinds.filter((k) => k === 'attached_to_lead')).toHaveLength(bodies.length - people.length);

    for (const p of people) {
      const owners = await ctx.db.sql<{ contactId: string }[]>`
        SELECT DISTINCT contact_id FROM identities
        WHERE (kind = 'phone' AND value = ${`+7${p.phone}`}) OR (kind = 'email' AND value = ${p.email})
           OR (kind IN ('whatsapp', 'vk') AND value LIKE ${`%:u-${p.phone}`})`;
      expect(owners).toHaveLength(1);
      const contactId = owners[0]!.contactId;
      const [counts] = await ctx.db.sql<{ leads: number; messages: number; identities: number }[]>`
        SELECT (SELECT count(*) FROM leads WHERE contact_id = ${contactId})::int AS leads,
               (SELECT count(*) FROM messages WHERE contact_id = ${contactId})::int AS messages,
               (SELECT count(*) FROM identities WHERE contact_id = ${contactId})::int AS identities`;
      expect(counts).toEqual({ leads: 1, messages: CHANNELS.length, identities: 4 });
    }
    const [merges] = await ctx.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM merge_suggestions`;
    expect(merges!.n).toBe(0);
  });

  it('concurrent retries of one delivery store every payload but decide once', async () => {
    const body = inboundBody({ from: { phones: [freshPhone()] } });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => ctx.request('POST', '/api/v1/inbound', body)),
    );
    const kinds = results.map((r) => r.body.decision.kind).sort();
    expect(kinds.filter((k) => k === 'new_lead')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'duplicate')).toHaveLength(11);
    const [n] = await ctx.db.sql<{ events: number; messages: number }[]>`
      SELECT (SELECT count(*) FROM inbound_events WHERE external_id = ${body.externalId})::int AS events,
             (SELECT count(*) FROM messages WHERE external_id = ${body.externalId})::int AS messages`;
    expect(n).toEqual({ events: 12, messages: 1 });
  });
});
