import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

describe.each(backends())('undoing a merge on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  const post = (body: Record<string, unknown>) => ctx.request('POST', '/api/v1/inbound', inboundBody(body));

  /** The state of a contact a person can see: identities, leads with status, conversations, messages. */
  async function picture(contactId: string) {
    const c = (await ctx.request('GET', `/api/v1/contacts/${contactId}`)).body;
    const msgs = await ctx.db.sql`SELECT id FROM messages WHERE contact_id = ${contactId} ORDER BY id`;
    return {
      name: c.name,
      identities: c.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`).sort(),
      leads: c.leads.map((l: { id: string; status: string }) => `${l.id}:${l.status}`).sort(),
      conversations: c.conversations.map((x: { id: string; leadId: string }) => `${x.id}:${x.leadId}`).sort(),
      messages: msgs.map((m) => m.id),
    };
  }

  it('restores both contacts with their identities, conversations, leads and messages; the suggestion reopens', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const a = (await post({ from: { name: 'Анна По Телефону', phones: [phone] } })).body.decision;
    const b = (await post({ channel: 'email', account: 'sales', from: { emails: [email] } })).body.decision;
    const tie = (
      await post({ channel: 'email', account: 'sales', from: { emails: [email], phones: [phone] } })
    ).body.decision;
    const suggestionId = tie.mergeSuggestionIds[0] as string;
    const before = { a: await picture(a.contactId), b: await picture(b.contactId) };

    const merged = await ctx.request('POST', `/api/v1/merge-suggestions/${suggestionId}/resolve`, {
      action: 'merge',
    });
    expect(merged.status).toBe(200);
    expect(merged.body.closedLeadId).not.toBeNull();
    expect((await ctx.request('GET', `/api/v1/contacts/${merged.body.mergedContactId}`)).status).toBe(404);

    const undone = await ctx.request('POST', `/api/v1/contact-merges/${merged.body.mergeId}/undo`);
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({
      contactId: merged.body.contactId,
      restoredContactId: merged.body.mergedContactId,
    });
    expect({ a: await picture(a.contactId), b: await picture(b.contactId) }).toEqual(before);
    const open = await ctx.request('GET', '/api/v1/merge-suggestions');
    expect(open.body.suggestions.map((s: { id: string }) => s.id)).toContain(suggestionId);

    expect((await ctx.request('POST', `/api/v1/contact-merges/${merged.body.mergeId}/undo`)).status).toBe(
      409,
    );
    const list = await ctx.request('GET', '/api/v1/contact-merges');
    expect(list.body.merges[0]).toMatchObject({ id: merged.body.mergeId, undoneAt: expect.any(String) });
    // The decision can be taken again.
    expect(
      (await ctx.request('POST', `/api/v1/merge-suggestions/${suggestionId}/resolve`, { action: 'dismiss' }))
        .status,
    ).toBe(200);
  });
});
