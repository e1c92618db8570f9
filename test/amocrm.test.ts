import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AmocrmFake, startAmocrmFake } from './support/amocrm-fake.js';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { backends } from './support/pg.js';

const TOKEN = 'amo-long-lived-token-0123456789';

describe.each(backends())('amoCRM connector on %s', (backend) => {
  let ctx: TestContext;
  let fake: AmocrmFake;

  beforeAll(async () => {
    fake = await startAmocrmFake({ token: TOKEN, clock: () => ctx?.clock.clock() ?? new Date() });
    ctx = await createTestContext(backend, {
      crm: { amocrm: { baseUrl: fake.baseUrl, token: TOKEN, pipelineId: 123 } },
    });
    // Phones and emails in custom_fields_values (reference §9).
    fake.contacts.push({
      id: 701,
      name: 'Ольга Смирнова',
      updated_at: 1_763_600_000,
      custom_fields_values: [
        { field_id: 1, field_code: 'PHONE', values: [{ value: '+7 916 700-00-01', enum_code: 'WORK' }] },
        { field_id: 2, field_code: 'EMAIL', values: [{ value: 'olga@example.ru', enum_code: 'WORK' }] },
      ],
    });
    for (let i = 0; i < 260; i++)
      fake.contacts.push({
        id: 1000 + i,
        name: `Контакт ${i}`,
        updated_at: 1_763_600_000,
        custom_fields_values: [{ field_code: 'PHONE', values: [{ value: `+7916710${String(1000 + i)}` }] }],
      });
    fake.leads.push(
      {
        id: 9001,
        name: 'Витрины',
        status_id: 55,
        pipeline_id: 123,
        updated_at: 1_763_600_000,
        contacts: [{ id: 701, is_main: true }],
      },
      {
        id: 9002,
        name: 'Старая сделка',
        status_id: 142,
        pipeline_id: 123,
        updated_at: 1_763_600_000,
        contacts: [{ id: 1000, is_main: true }],
      },
    );
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  it('pulls contacts (two pages of 250) and leads: a lead in progress is an active deal of its main contact', async () => {
    await ctx.amocrm!.runOnce();
    expect(fake.requests.filter((r) => r.path === '/api/v4/contacts')).toHaveLength(2);
    const [n] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM contacts WHERE external_id LIKE 'amocrm:%' AND status = 'client'`;
    expect(n!.n).toBe(261);
    const deals = await ctx.db.sql`
      SELECT d.external_id, d.status, d.stage, c.name FROM deals d JOIN contacts c ON c.id = d.contact_id
      WHERE d.external_id LIKE 'amocrm:%' ORDER BY d.external_id`;
    expect(deals).toEqual([
      { externalId: 'amocrm:9001', status: 'active', stage: '123:55', name: 'Ольга Смирнова' },
      { externalId: 'amocrm:9002', status: 'won', stage: '123:142', name: 'Контакт 0' },
    ]);
    // The next email from her attaches to the deal.
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'email', account: 'sales', from: { emails: ['olga@example.ru'] } }),
    );
    expect(r.body.decision).toMatchObject({ kind: 'attached_to_deal' });
    // The next pass re-reads everything but writes only what changed (updated_at).
    const audits = async () =>
      (await ctx.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_log WHERE actor = 'amocrm'`)[0]!
        .n;
    const before = await audits();
    await ctx.amocrm!.runOnce();
    expect(await audits()).toBe(before);
    Object.assign(fake.contacts[0]!, { name: 'Ольга Петрова', updated_at: 1_763_700_000 });
    await ctx.amocrm!.runOnce();
    expect(await audits()).toBe(before + 1);
    const [olga] = await ctx.db.sql`SELECT name FROM contacts WHERE external_id = 'amocrm:701'`;
    expect(olga).toEqual({ name: 'Ольга Петрова' });
  });

  it('a new lead becomes one incoming lead (unsorted/forms) with the contact, source_uid = our lead id', async () => {
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { name: 'Пётр', phones: ['+7 903 700-00-02'] } }),
    );
    const leadId = r.body.decision.leadId as string;
    await ctx.outbox.worker.runOnce();
    await ctx.outbox.worker.runOnce(); // a second pass sends nothing again
    const made = fake.unsorted.filter((u) => u.request.source_uid === leadId);
    expect(made).toHaveLength(1);
    expect(made[0]!.request).toMatchObject({
      source_name: 'Switchboard',
      pipeline_id: 123,
      metadata: { form_id: 'switchboard' },
      _embedded: {
        leads: [{ name: 'Лид: Пётр' }],
        contacts: [
          {
            first_name: 'Пётр',
            custom_fields_values: [{ field_code: 'PHONE', values: [{ value: '+79037000002' }] }],
          },
        ],
      },
      request_id: '0',
    });
    const [link] = await ctx.db
      .sql`SELECT unsorted_uid, amo_lead_id FROM amocrm_leads WHERE lead_id = ${leadId}`;
    expect(link).toEqual({ unsortedUid: made[0]!.uid, amoLeadId: String(made[0]!.leadId) });
  });

  it('a bad token is a permanent failure (401): the row is dead-lettered, visible in the API', async () => {
    const other = await startAmocrmFake({ token: 'another-token-0123456789' });
    const c2 = await createTestContext(backend, {
      crm: { amocrm: { baseUrl: other.baseUrl, token: TOKEN } },
    });
    try {
      await expect(c2.amocrm!.runOnce()).rejects.toThrow(/HTTP 401/);
      await c2.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: ['+7 903 700-00-03'] } }));
      await c2.outbox.worker.runOnce();
      const failed = await c2.request('GET', '/api/v1/outbox?status=failed&subscriber=amocrm');
      expect(failed.body.items).toEqual([
        expect.objectContaining({ type: 'lead.created', lastError: expect.stringMatching(/HTTP 401/) }),
      ]);
    } finally {
      await c2.close();
      await other.close();
    }
  });
});
