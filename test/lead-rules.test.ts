import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, sendInbound, type TestContext } from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

describe.each(backends())('the lead rules on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  const send = (overrides: Record<string, unknown>) => sendInbound(ctx, overrides);

  it('rule 7: an unknown sender becomes a prospect with a new lead, message attached', async () => {
    const phone = freshPhone();
    const d = await send({ from: { name: 'Иван Петров', phones: [`8 ${phone}`], emails: [freshEmail()] } });
    expect(d).toMatchObject({ kind: 'new_lead', rule: 'rule_7_unknown' });
    expect(d.leadId).toBeDefined();
    expect(d.reason).toContain('new contact');
    const contact = await ctx.request('GET', `/api/v1/contacts/${d.contactId}`);
    expect(contact.body.status).toBe('prospect');
    expect(contact.body.name).toBe('Иван Петров');
    expect(contact.body.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['email', 'phone']);
    const lead = await ctx.request('GET', `/api/v1/leads/${d.leadId}`);
    expect(lead.body).toMatchObject({
      kind: 'new',
      status: 'new',
      channel: 'webform',
      contactId: d.contactId,
    });
    expect(lead.body.messages).toHaveLength(1);
    expect(lead.body.messages[0]).toMatchObject({ direction: 'in', text: 'Нужен прилавок 2 м' });
    expect(lead.body.trail[0]).toMatchObject({ action: 'decision.new_lead', actor: 'pipeline' });
  });

  it('rule 5: a second message from the same person (other format, other channel) joins the open lead', async () => {
    const phone = freshPhone();
    const first = await send({ from: { phones: [`+7 (${phone.slice(0, 3)}) ${phone.slice(3)}`] } });
    const second = await send({
      channel: 'whatsapp',
      account: '79000000001',
      from: { phones: [`7${phone}`], userId: 'wa-1' },
    });
    expect(second).toMatchObject({
      kind: 'attached_to_lead',
      rule: 'rule_5_open_lead',
      leadId: first.leadId,
      contactId: first.contactId,
    });
    expect(second.reason).toMatch(/phone …\d{4} matched an existing contact/);
    // The new WhatsApp id was learned for the same contact.
    expect(second.matches).toContainEqual(
      expect.objectContaining({ kind: 'whatsapp', outcome: 'added', contactId: first.contactId }),
    );
    const leads = await ctx.db
      .sql`SELECT count(*)::int AS n FROM leads WHERE contact_id = ${first.contactId}`;
    expect(leads[0]!.n).toBe(1);
  });

  it('rule 1: the same channel account + external id is a duplicate and changes nothing', async () => {
    const body = inboundBody({ from: { phones: [freshPhone()] } });
    const first = await ctx.request('POST', '/api/v1/inbound', body);
    const before = await ctx.db
      .sql`SELECT (SELECT count(*) FROM messages)::int AS m, (SELECT count(*) FROM leads)::int AS l`;
    const again = await ctx.request('POST', '/api/v1/inbound', { ...body, text: 'changed text' });
    expect(again.body.decision).toMatchObject({
      kind: 'duplicate',
      rule: 'rule_1_duplicate',
      contactId: first.body.decision.contactId,
      leadId: first.body.decision.leadId,
      messageId: first.body.decision.messageId,
    });
    const after = await ctx.db
      .sql`SELECT (SELECT count(*) FROM messages)::int AS m, (SELECT count(*) FROM leads)::int AS l`;
    expect(after).toEqual(before);
  });

  it('rule 1: a body without externalId is deduplicated by its content', async () => {
    const { externalId: _omit, ...body } = inboundBody({ from: { phones: [freshPhone()] } });
    const first = await ctx.request('POST', '/api/v1/inbound', body);
    const again = await ctx.request('POST', '/api/v1/inbound', body);
    expect(first.body.decision.kind).toBe('new_lead');
    expect(again.body.decision.kind).toBe('duplicate');
  });

  it('rule 2: an outbound message attaches to the conversation and never creates a lead', async () => {
    const phone = freshPhone();
    const out = await send({
      direction: 'out',
      from: undefined,
      to: { phones: [phone] },
      channel: 'whatsapp',
      account: 'wa1',
    });
    expect(out).toMatchObject({ kind: 'outbound', rule: 'rule_2_outbound' });
    expect(out.leadId).toBeUndefined();
    const leads = await ctx.db.sql`SELECT count(*)::int AS n FROM leads WHERE contact_id = ${out.contactId}`;
    expect(leads[0]!.n).toBe(0);
    // The client's answer in the same chat then opens a lead in the same conversation.
    const reply = await send({ channel: 'whatsapp', account: 'wa1', from: { phones: [phone] } });
    expect(reply).toMatchObject({
      kind: 'new_lead',
      contactId: out.contactId,
      conversationId: out.conversationId,
    });
    const outAgain = await send({
      direction: 'out',
      from: undefined,
      to: { phones: [phone] },
      channel: 'whatsapp',
      account: 'wa1',
    });
    expect(outAgain).toMatchObject({ kind: 'outbound', leadId: reply.leadId });
  });

  it('rule 4: a contact with an active deal attaches to the most recently updated active deal', async () => {
    const phone = freshPhone();
    const ext = `c-${phone}`;
    await ctx.request('PUT', `/api/v1/contacts/${ext}`, {
      name: 'ООО Ромашка',
      phones: [phone],
      responsible: 'ivanov',
    });
    await ctx.request('PUT', `/api/v1/deals/d1-${phone}`, {
      contactExternalId: ext,
      stage: 'Согласование',
      status: 'active',
    });
    const d2 = await ctx.request('PUT', `/api/v1/deals/d2-${phone}`, {
      contactExternalId: ext,
      stage: 'Производство',
      status: 'active',
    });
    await ctx.request('PUT', `/api/v1/deals/d3-${phone}`, {
      contactExternalId: ext,
      stage: 'Отгружено',
      status: 'won',
    });
    const d = await send({ channel: 'email', account: 'sales', from: { phones: [`8${phone}`] } });
    expect(d).toMatchObject({ kind: 'attached_to_deal', rule: 'rule_4_active_deal', dealId: d2.body.id });
    expect(d.leadId).toBeUndefined();
    expect(d.reason).toContain('Производство');
  });

  it('rule 6: a known client without an active deal gets a repeat lead routed to their manager', async () => {
    const email = freshEmail();
    const ext = `c-${email}`;
    const pushed = await ctx.request('PUT', `/api/v1/contacts/${ext}`, {
      name: 'Пётр',
      emails: [email],
      clientType: 'partner',
      responsible: 'ivanov',
    });
    await ctx.request('PUT', `/api/v1/deals/d-${email}`, { contactExternalId: ext, status: 'won' });
    const d = await send({ channel: 'email', account: 'sales', from: { emails: [email.toUpperCase()] } });
    expect(d).toMatchObject({ kind: 'repeat_lead', rule: 'rule_6_known_client', contactId: pushed.body.id });
    const lead = await ctx.request('GET', `/api/v1/leads/${d.leadId}`);
    expect(lead.body).toMatchObject({ kind: 'repeat', responsible: 'ivanov', team: 'partners' });
    expect(lead.body.routing).toMatchObject({ rule: 'partners', strategy: 'sticky', chosen: 'ivanov' });
  });

  it('rule 6: a prospect whose lead was converted is a known client next time', async () => {
    const phone = freshPhone();
    const first = await send({ from: { phones: [phone] } });
    const patched = await ctx.request('PATCH', `/api/v1/leads/${first.leadId}`, { status: 'converted' });
    expect(patched.status).toBe(200);
    const next = await send({ from: { phones: [phone] } });
    expect(next).toMatchObject({ kind: 'repeat_lead', contactId: first.contactId });
    expect(next.leadId).not.toBe(first.leadId);
  });

  it('rule 7: a prospect whose lead was junked gets a new (not repeat) lead', async () => {
    const phone = freshPhone();
    const first = await send({ from: { phones: [phone] } });
    await ctx.request('PATCH', `/api/v1/leads/${first.leadId}`, { status: 'junk' });
    const next = await send({ from: { phones: [phone] } });
    expect(next).toMatchObject({ kind: 'new_lead', contactId: first.contactId });
    expect(next.reason).toContain('prospect without an open lead');
  });

  it('rule 3: identities of two different contacts are never merged; the sender’s own address wins', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const byPhone = await send({ from: { phones: [phone] } });
    const byEmail = await send({ channel: 'email', account: 'sales', from: { emails: [email] } });
    expect(byPhone.contactId).not.toBe(byEmail.contactId);
    // An email carrying both: the address it came from (email) decides; the phone's owner becomes a suggestion.
    const d = await send({ channel: 'email', account: 'sales', from: { emails: [email], phones: [phone] } });
    expect(d.contactId).toBe(byEmail.contactId);
    expect(d.mergeSuggestionIds).toHaveLength(1);
    expect(d.matches).toContainEqual(
      expect.objectContaining({ kind: 'phone', outcome: 'conflict', contactId: byPhone.contactId }),
    );
    const owner = await ctx.db
      .sql`SELECT contact_id FROM identities WHERE kind = 'phone' AND value = ${`+7${phone}`}`;
    expect(owner[0]!.contactId).toBe(byPhone.contactId);
    const details = await ctx.request('GET', `/api/v1/contacts/${byPhone.contactId}`);
    expect(details.body.mergeSuggestions).toHaveLength(1);
  });

  it('rejects junk and our own identities: they never identify anyone', async () => {
    const d1 = await send({
      from: { phones: ['8 (800) 555-35-35', '000000'], emails: ['sales@mebel-fabrika.ru'] },
    });
    const d2 = await send({ from: { phones: ['8 (800) 555-35-35'], emails: ['noreply@mebel-fabrika.ru'] } });
    expect(d1.kind).toBe('new_lead');
    expect(d2.kind).toBe('new_lead');
    expect(d1.contactId).not.toBe(d2.contactId);
    expect(d1.reason).toContain('no usable identity');
    const ids = await ctx.db
      .sql`SELECT count(*)::int AS n FROM identities WHERE contact_id IN (${d1.contactId}, ${d2.contactId})`;
    expect(ids[0]!.n).toBe(0);
  });

  it('a messenger id is scoped by account: the same id on two Viber bots is two identities', async () => {
    const a = await send({ channel: 'viber', account: 'bot-a', from: { userId: 'viber-user-1' } });
    const b = await send({ channel: 'viber', account: 'bot-b', from: { userId: 'viber-user-1' } });
    expect(a.contactId).not.toBe(b.contactId);
    const again = await send({ channel: 'viber', account: 'bot-a', from: { userId: 'viber-user-1' } });
    expect(again).toMatchObject({ kind: 'attached_to_lead', contactId: a.contactId });
  });

  it('a call through the generic entry is stored as a call activity', async () => {
    const phone = freshPhone();
    const d = await send({
      channel: 'phone',
      account: 'pbx',
      from: { phones: [`sip:7${phone}@pbx.example.ru`] },
      subject: undefined,
      text: undefined,
      call: { state: 'missed', dialled: '+78005553535', waitSeconds: 25 },
    });
    expect(d.kind).toBe('new_lead');
    const [m] = await ctx.db.sql`SELECT kind, meta FROM messages WHERE id = ${d.messageId}`;
    expect(m).toMatchObject({ kind: 'call', meta: { call: { state: 'missed', waitSeconds: 25 } } });
  });

  it("a colleague replying in a client's thread gets a lead of their own without taking over the thread's lead", async () => {
    const threadKey = `<root-${freshPhone()}@mail.example.ru>`;
    const client = await send({
      channel: 'email',
      account: 'sales',
      threadKey,
      from: { emails: [freshEmail()] },
    });
    const colleague = await send({
      channel: 'email',
      account: 'sales',
      threadKey,
      from: { emails: [freshEmail()] },
    });
    expect(colleague.kind).toBe('new_lead');
    expect(colleague.contactId).not.toBe(client.contactId);
    expect(colleague.conversationId).toBe(client.conversationId);
    const [conversation] = await ctx.db
      .sql`SELECT contact_id, lead_id FROM conversations WHERE id = ${client.conversationId}`;
    expect(conversation).toEqual({ contactId: client.contactId, leadId: client.leadId });
    const [message] = await ctx.db
      .sql`SELECT contact_id, lead_id FROM messages WHERE id = ${colleague.messageId}`;
    expect(message).toEqual({ contactId: colleague.contactId, leadId: colleague.leadId });
  });
});
