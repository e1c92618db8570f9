import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundCommunication } from '../src/core/communication.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';
import { applyLeadRules, decideBatch } from '../src/routing/lead-rules.js';
import { createTestContext, sendInbound, type TestContext } from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

// Issue 16 item 12: when the sender's identities point at two contacts, the weaker one must not get a lead.
describe.each(backends())('identity precedence on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend);
  });
  afterAll(() => ctx?.close());

  const send = (overrides: Record<string, unknown>) => sendInbound(ctx, overrides);
  const leadsOf = async (contactId: string) =>
    (await ctx.db.sql`SELECT count(*)::int AS n FROM leads WHERE contact_id = ${contactId}`)[0]!.n;
  /** What the lead rules need, as the pipeline composes it. */
  const rulesDeps = () => {
    const { policy, router } = createPipeline({
      sql: ctx.db.sql,
      config: ctx.config,
      clock: ctx.clock.clock,
      log: silentLogger,
      metrics: createMetrics(),
    });
    return { policy, router, clock: ctx.clock.clock };
  };
  /** A communication straight into the lead rules (what the email channel makes of a message with a signature). */
  const decide = (comm: InboundCommunication) =>
    ctx.db.sql.begin((tx) => applyLeadRules(tx, comm, rulesDeps()));

  it('a message that reaches a known client through an identity an earlier event of its batch gave him lands in his stored thread', async () => {
    const [phone, email] = [freshPhone(), freshEmail()];
    const deps = rulesDeps();
    const comm = (
      channel: 'email' | 'webform',
      account: string,
      ids: { kind: 'phone' | 'email'; value: string }[],
    ) =>
      ({
        kind: 'message',
        channel,
        account,
        externalId: `batch-thread-${freshPhone()}`,
        direction: 'in',
        occurredAt: new Date('2026-11-20T09:00:00Z'),
        party: { identities: ids, hints: [] },
        text: 'Заявка',
      }) as InboundCommunication;
    // The client writes by email with his phone in the signature: his thread on email/sales.
    const first = await decide(comm('email', 'sales', [{ kind: 'phone', value: phone }]));
    // One batch: a web form with his phone and a new address, then an email from that address alone.
    const [form, mail] = await ctx.db.sql.begin((tx) =>
      decideBatch(
        tx,
        [
          {
            comms: [
              comm('webform', 'site', [
                { kind: 'phone', value: phone },
                { kind: 'email', value: email },
              ]),
            ],
          },
          { comms: [comm('email', 'sales', [{ kind: 'email', value: email }])] },
        ],
        deps,
      ),
    );
    expect(form).toMatchObject({ ok: true, decisions: [{ contactId: first.contactId }] });
    expect(mail).toMatchObject({
      ok: true,
      decisions: [{ contactId: first.contactId, conversationId: first.conversationId }],
    });
    const [threads] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM conversations WHERE contact_id = ${first.contactId} AND channel = 'email'`;
    expect(threads!.n).toBe(1);
  });

  const managerEmails = (email: string) =>
    send({ channel: 'email', account: 'sales', direction: 'out', from: undefined, to: { emails: [email] } });

  it('a manager emailed an address first; the client answers with it and his phone: his open lead, no second one', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const client = await send({ from: { phones: [phone] } });
    expect(client.kind).toBe('new_lead');
    const out = await managerEmails(email);
    expect(out.kind).toBe('outbound');
    expect(out.contactId).not.toBe(client.contactId);

    // The email's own address comes first, but it was only learned from our message.
    const reply = await send({
      channel: 'email',
      account: 'sales',
      from: { emails: [email], phones: [phone] },
    });
    expect(reply).toMatchObject({
      kind: 'attached_to_lead',
      contactId: client.contactId,
      leadId: client.leadId,
    });
    expect(reply.mergeSuggestionIds).toHaveLength(1);
    expect(reply.matches).toContainEqual(
      expect.objectContaining({ kind: 'email', outcome: 'conflict', contactId: out.contactId }),
    );
    expect(await leadsOf(out.contactId)).toBe(0);
    expect(await leadsOf(client.contactId)).toBe(1);
  });

  it('the same with the phone only in the content (a signature): it outranks an address we wrote to first', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const client = await send({ from: { phones: [phone] } });
    const out = await managerEmails(email);
    const comm: InboundCommunication = {
      kind: 'message',
      channel: 'email',
      account: 'sales',
      externalId: `sig-${phone}`,
      direction: 'in',
      occurredAt: ctx.clock.clock(),
      party: {
        identities: [{ kind: 'email', value: email }],
        hints: [{ kind: 'phone', value: `8${phone}` }],
      },
      text: `Спасибо! Мой телефон 8${phone}`,
    };
    const decision = await decide(comm);
    expect(decision).toMatchObject({
      kind: 'attached_to_lead',
      contactId: client.contactId,
      leadId: client.leadId,
    });
    expect(await leadsOf(out.contactId)).toBe(0);
  });

  it('a hint never outranks an address the client gave: a colleague’s phone in the text does not move the message', async () => {
    const colleague = await send({ from: { phones: [freshPhone()] } });
    const phone = (
      await ctx.db.sql`SELECT value FROM identities WHERE contact_id = ${colleague.contactId}`
    )[0]!.value;
    const email = freshEmail();
    const writer = await send({ channel: 'email', account: 'sales', from: { emails: [email] } });
    await ctx.request('PATCH', `/api/v1/leads/${writer.leadId}`, { status: 'junk' });
    const comm: InboundCommunication = {
      kind: 'message',
      channel: 'email',
      account: 'sales',
      externalId: `colleague-${email}`,
      direction: 'in',
      occurredAt: ctx.clock.clock(),
      party: { identities: [{ kind: 'email', value: email }], hints: [{ kind: 'phone', value: phone }] },
    };
    const decision = await decide(comm);
    expect(decision).toMatchObject({ kind: 'new_lead', contactId: writer.contactId });
  });

  it('among contacts the client gave identities of, the one with an active deal wins over one with an open lead', async () => {
    const dealPhone = freshPhone();
    const leadPhone = freshPhone();
    await ctx.request('PUT', `/api/v1/contacts/c-${dealPhone}`, {
      name: 'Клиент со сделкой',
      phones: [dealPhone],
    });
    const deal = await ctx.request('PUT', `/api/v1/deals/d-${dealPhone}`, {
      contactExternalId: `c-${dealPhone}`,
      status: 'active',
    });
    const withLead = await send({ from: { phones: [leadPhone] } });
    // The phone of the contact with an open lead comes first; the deal wins all the same.
    const d = await send({ from: { phones: [leadPhone, dealPhone] } });
    expect(d).toMatchObject({ kind: 'attached_to_deal', dealId: deal.body.id });
    expect(d.contactId).not.toBe(withLead.contactId);
    expect(d.mergeSuggestionIds).toHaveLength(1);
  });

  it('an address we wrote to first never outranks one the client gave, even when its contact has an active deal', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const client = await send({ from: { phones: [phone] } });
    const out = await managerEmails(email);
    // The contact we wrote to has a deal (pushed by the CRM later); the client's own phone still decides.
    await ctx.db.sql`
      INSERT INTO deals (external_id, contact_id, status) VALUES (${`d-out-${phone}`}, ${out.contactId}, 'active')`;
    const reply = await send({
      channel: 'email',
      account: 'sales',
      from: { emails: [email], phones: [phone] },
    });
    expect(reply).toMatchObject({
      kind: 'attached_to_lead',
      contactId: client.contactId,
      leadId: client.leadId,
    });
    expect(reply.mergeSuggestionIds).toHaveLength(1);
  });

  it('an address we wrote to first becomes the client’s own once the client writes from it', async () => {
    const email = freshEmail();
    const out = await managerEmails(email);
    const [before] = await ctx.db
      .sql`SELECT source FROM identities WHERE kind = 'email' AND value = ${email}`;
    expect(before!.source).toBe('out:email');
    const reply = await send({ channel: 'email', account: 'sales', from: { emails: [email] } });
    expect(reply).toMatchObject({ kind: 'new_lead', contactId: out.contactId });
    const [after] = await ctx.db.sql`SELECT source FROM identities WHERE kind = 'email' AND value = ${email}`;
    expect(after!.source).toBe('email');
  });
});
