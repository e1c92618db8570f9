import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

describe.each(backends())('merge suggestions on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  /** Two contacts for one person (met by phone, then by email), then a message tying them together. */
  async function twoContactsOnePerson() {
    const phone = freshPhone();
    const email = freshEmail();
    const byPhone = (await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [phone] } })))
      .body.decision;
    const byEmail = (
      await ctx.request(
        'POST',
        '/api/v1/inbound',
        inboundBody({ channel: 'email', account: 'sales', from: { emails: [email] } }),
      )
    ).body.decision;
    const tie = (
      await ctx.request(
        'POST',
        '/api/v1/inbound',
        inboundBody({ channel: 'email', account: 'sales', from: { emails: [email], phones: [phone] } }),
      )
    ).body.decision;
    return { phone, email, byPhone, byEmail, suggestionId: tie.mergeSuggestionIds[0] as string };
  }

  it('lists the suggestion and merges on request, keeping one open lead and every message', async () => {
    const { phone, byPhone, byEmail, suggestionId } = await twoContactsOnePerson();
    const open = await ctx.request('GET', '/api/v1/merge-suggestions');
    expect(open.body.suggestions.map((s: { id: string }) => s.id)).toContain(suggestionId);

    const merged = await ctx.request('POST', `/api/v1/merge-suggestions/${suggestionId}/resolve`, {
      action: 'merge',
    });
    expect(merged.status).toBe(200);
    // The suggestion's contact is the email one (the sender's own address won); the phone contact merges into it.
    expect(merged.body).toMatchObject({
      status: 'merged',
      contactId: byEmail.contactId,
      mergedContactId: byPhone.contactId,
    });
    expect(merged.body.closedLeadId).toBe(byEmail.leadId);

    const contact = await ctx.request('GET', `/api/v1/contacts/${byEmail.contactId}`);
    expect(contact.body.identities).toHaveLength(2);
    expect(contact.body.leads.filter((l: { status: string }) => l.status === 'new')).toHaveLength(1);
    const kept = await ctx.request('GET', `/api/v1/leads/${byPhone.leadId}`);
    expect(kept.body.contactId).toBe(byEmail.contactId);
    expect(kept.body.messages).toHaveLength(3);
    expect((await ctx.request('GET', `/api/v1/contacts/${byPhone.contactId}`)).status).toBe(404);

    // Afterwards the person is one contact on every channel.
    const next = (
      await ctx.request('POST', '/api/v1/inbound', inboundBody({ from: { phones: [`8${phone}`] } }))
    ).body.decision;
    expect(next).toMatchObject({
      kind: 'attached_to_lead',
      contactId: byEmail.contactId,
      leadId: byPhone.leadId,
    });
    const again = await ctx.request('POST', `/api/v1/merge-suggestions/${suggestionId}/resolve`, {
      action: 'merge',
    });
    expect(again.status).toBe(409);
  });

  it('dismisses a suggestion without touching either contact', async () => {
    const { byPhone, byEmail, suggestionId } = await twoContactsOnePerson();
    const res = await ctx.request('POST', `/api/v1/merge-suggestions/${suggestionId}/resolve`, {
      action: 'dismiss',
    });
    expect(res.body.status).toBe('dismissed');
    expect((await ctx.request('GET', `/api/v1/contacts/${byPhone.contactId}`)).status).toBe(200);
    expect((await ctx.request('GET', `/api/v1/contacts/${byEmail.contactId}`)).status).toBe(200);
  });

  it('refuses to merge two CRM contacts (the CRM owns that)', async () => {
    const phone = freshPhone();
    await ctx.request('PUT', `/api/v1/contacts/x-${phone}`, { phones: [phone] });
    const b = await ctx.request('PUT', `/api/v1/contacts/y-${phone}`, { phones: [phone] });
    const res = await ctx.request(
      'POST',
      `/api/v1/merge-suggestions/${b.body.mergeSuggestionIds[0]}/resolve`,
      { action: 'merge' },
    );
    expect(res.status).toBe(409);
  });

  it('keeps a third contact’s open suggestion, now about the surviving contact', async () => {
    const { phone, byEmail, suggestionId } = await twoContactsOnePerson();
    // A third contact, known by an email, later writes with the same phone.
    const email = freshEmail();
    await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'email', account: 'sales', from: { emails: [email] } }),
    );
    const third = (
      await ctx.request(
        'POST',
        '/api/v1/inbound',
        inboundBody({
          channel: 'email',
          account: 'sales',
          from: { emails: [email], phones: [phone] },
        }),
      )
    ).body.decision;
    expect(third.mergeSuggestionIds).toHaveLength(1);
    await ctx.request('POST', `/api/v1/merge-suggestions/${suggestionId}/resolve`, { action: 'merge' });
    const [moved] = await ctx.db.sql`
      SELECT contact_id, other_contact_id, status FROM merge_suggestions WHERE id = ${third.mergeSuggestionIds[0]}`;
    expect(moved).toEqual({ contactId: third.contactId, otherContactId: byEmail.contactId, status: 'open' });
  });
});
