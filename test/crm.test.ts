import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

describe.each(backends())('CRM push API on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  it('upserts a contact idempotently with normalized identities', async () => {
    const phone = freshPhone();
    const body = {
      name: 'Сергей',
      phones: [`8 (${phone.slice(0, 3)}) ${phone.slice(3)}`, '123'],
      emails: ['Sergey@Firm.RU'],
    };
    const first = await ctx.request('PUT', `/api/v1/contacts/c-${phone}`, body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      outcome: 'created',
      rejected: [{ field: 'phones.1', reason: 'invalid' }],
    });
    const second = await ctx.request('PUT', `/api/v1/contacts/c-${phone}`, body);
    expect(second.body).toMatchObject({ id: first.body.id, outcome: 'updated' });
    const details = await ctx.request('GET', `/api/v1/contacts/${first.body.id}`);
    expect(details.body).toMatchObject({ externalId: `c-${phone}`, status: 'client', name: 'Сергей' });
    expect(details.body.identities.map((i: { value: string }) => i.value).sort()).toEqual([
      `+7${phone}`,
      'sergey@firm.ru',
    ]);
  });

  it('links the prospect Switchboard already knows instead of creating a second contact', async () => {
    const phone = freshPhone();
    const d = (await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } }))).body
      .decision;
    const pushed = await ctx.request('PUT', `/api/v1/contacts/c-${phone}`, {
      name: 'Клиент',
      phones: [`+7${phone}`],
    });
    expect(pushed.body).toMatchObject({ id: d.contactId, outcome: 'linked' });
    const lead = await ctx.request('GET', `/api/v1/leads/${d.leadId}`);
    expect(lead.body.contact).toMatchObject({ id: d.contactId, status: 'client', externalId: `c-${phone}` });
  });

  it('links by an explicit contactId, and refuses an unknown one', async () => {
    const d = (
      await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { emails: [freshEmail()] } }))
    ).body.decision;
    const linked = await ctx.request('PUT', '/api/v1/contacts/c-explicit', { contactId: d.contactId });
    expect(linked.body).toMatchObject({ id: d.contactId, outcome: 'linked' });
    const unknown = await ctx.request('PUT', '/api/v1/contacts/c-unknown', {
      contactId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.status).toBe(422);
  });

  it('never moves an identity owned by another CRM contact: it becomes a merge suggestion', async () => {
    const phone = freshPhone();
    const a = await ctx.request('PUT', `/api/v1/contacts/a-${phone}`, { phones: [phone] });
    const b = await ctx.request('PUT', `/api/v1/contacts/b-${phone}`, { phones: [phone] });
    expect(b.body.id).not.toBe(a.body.id);
    expect(b.body.mergeSuggestionIds).toHaveLength(1);
    const [owner] = await ctx.db
      .sql`SELECT contact_id FROM identities WHERE kind = 'phone' AND value = ${`+7${phone}`}`;
    expect(owner!.contactId).toBe(a.body.id);
  });

  it('drops CRM identities the CRM no longer lists, keeps the ones learned from channels', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const ext = `c-${phone}`;
    const c = await ctx.request('PUT', `/api/v1/contacts/${ext}`, { phones: [phone] });
    await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'email', account: 'sales', from: { emails: [email], phones: [phone] } }),
    );
    await ctx.request('PUT', `/api/v1/contacts/${ext}`, { phones: [] });
    const ids = await ctx.db
      .sql`SELECT kind, source FROM identities WHERE contact_id = ${c.body.id} ORDER BY kind`;
    expect(ids).toEqual([{ kind: 'email', source: 'email' }]);
  });

  it('accepts a deal before its contact and company, then fills them in', async () => {
    const phone = freshPhone();
    const deal = await ctx.request('PUT', `/api/v1/deals/d-${phone}`, {
      contactExternalId: `late-${phone}`,
      companyExternalId: `co-${phone}`,
      stage: 'Согласование',
      status: 'active',
      responsible: 'ivanov',
    });
    expect(deal.body.outcome).toBe('created');
    const contact = await ctx.request('PUT', `/api/v1/contacts/late-${phone}`, {
      name: 'Поздний',
      phones: [phone],
      companyExternalId: `co-${phone}`,
    });
    expect(contact.body.outcome).toBe('updated');
    const company = await ctx.request('PUT', `/api/v1/companies/co-${phone}`, {
      name: 'ООО Поздняя',
      inn: '7707083893',
      region: 'RU-TA',
    });
    expect(company.body.outcome).toBe('updated');
    const d = (await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } }))).body
      .decision;
    expect(d).toMatchObject({ kind: 'attached_to_deal', dealId: deal.body.id, contactId: contact.body.id });
    const again = await ctx.request('PUT', `/api/v1/deals/d-${phone}`, {
      contactExternalId: `late-${phone}`,
      status: 'won',
    });
    expect(again.body).toMatchObject({ id: deal.body.id, outcome: 'updated' });
    const next = (await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } })))
      .body.decision;
    expect(next.kind).toBe('repeat_lead');
  });

  it('routes a repeat lead to the company’s responsible manager when the contact has none', async () => {
    const phone = freshPhone();
    await ctx.request('PUT', `/api/v1/companies/co2-${phone}`, {
      name: 'ООО Партнёр',
      // The partner rule picks the team; inside it the company's manager sticks.
      clientType: 'partner',
      responsible: 'ivanov',
    });
    await ctx.request('PUT', `/api/v1/contacts/c2-${phone}`, {
      phones: [phone],
      companyExternalId: `co2-${phone}`,
    });
    const d = (await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } }))).body
      .decision;
    const lead = await ctx.request('GET', `/api/v1/leads/${d.leadId}`);
    expect(lead.body).toMatchObject({ kind: 'repeat', responsible: 'ivanov', team: 'partners' });
  });

  it.each([
    ['a deal without contact or company', '/api/v1/deals/d-x', { status: 'active' }, 'contactExternalId'],
    [
      'a deal with an unknown status',
      '/api/v1/deals/d-x',
      { contactExternalId: 'c', status: 'open' },
      'status',
    ],
    ['an INN of the wrong length', '/api/v1/companies/co-x', { inn: '12345' }, 'inn'],
    ['phones that are not a list', '/api/v1/contacts/c-x', { phones: '89123456789' }, 'phones'],
  ])('refuses %s with 400 naming the field', async (_what, path, body, field) => {
    const res = await ctx.request('PUT', path, body);
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].field).toBe(field);
  });
});
