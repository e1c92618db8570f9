import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { backends } from './support/pg.js';
import { postWebhook, telephonyConfig } from './support/telephony.js';

/** The generic call entry: any other PBX connected by a small script through POST /api/v1/inbound. */
describe.each(backends())('a call through POST /api/v1/inbound on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend, telephonyConfig('http://127.0.0.1:9'));
  });
  afterAll(() => ctx?.close());

  const call = (externalId: string, over: Record<string, unknown>) =>
    ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({
        channel: 'phone',
        account: 'zadarma',
        externalId,
        subject: undefined,
        text: undefined,
        from: { phones: ['+7 (903) 555-77-88'] },
        ...over,
      }),
    );

  it('a missed call is a lead needing a call back, visible in the calls list like any PBX call', async () => {
    const r = await call('z-1', {
      call: {
        state: 'missed',
        dialled: '8 (495) 123-45-67',
        waitSeconds: 31,
        recordingUrl: 'https://pbx.example/rec/1.mp3',
      },
    });
    expect(r.body.decision).toMatchObject({ kind: 'new_lead' });
    const lead = await ctx.request('GET', `/api/v1/leads/${r.body.decision.leadId}`);
    expect(lead.body.needsCallback).toBe(true);
    const [row] = await ctx.db.sql`
      SELECT c.provider, c.state, c.client_phone, c.dialled, c.wait_seconds, r.status AS recording
      FROM calls c LEFT JOIN call_recordings r ON r.call_id = c.id WHERE c.call_key = 'z-1'`;
    expect(row).toEqual({
      provider: 'api',
      state: 'missed',
      clientPhone: '+79035557788',
      dialled: '+74951234567',
      waitSeconds: 31,
      recording: 'pending',
    });
  });

  it('the same number on the MegaFon contact lookup is the same person; an answered call clears the mark', async () => {
    const [{ leadId } = { leadId: '' }] = await ctx.db.sql<{ leadId: string }[]>`
      SELECT lead_id FROM calls WHERE call_key = 'z-1'`;
    await ctx.request('PATCH', `/api/v1/leads/${leadId}`, { responsible: 'ivanov' });
    const lookup = await postWebhook(
      ctx,
      '/webhooks/megafon/main',
      'cmd=contact&phone=89035557788&crm_token=test-crm-token-1',
    );
    expect(lookup.body).toEqual({ responsible: 'ivanov' });
    const r = await call('z-2', { call: { state: 'answered', agent: 'ivanov', talkSeconds: 60 } });
    expect(r.body.decision).toMatchObject({ kind: 'attached_to_lead', leadId });
    expect((await ctx.request('GET', `/api/v1/leads/${leadId}`)).body.needsCallback).toBe(false);
    const [row] = await ctx.db.sql`SELECT state, agent, talk_seconds FROM calls WHERE call_key = 'z-2'`;
    expect(row).toEqual({ state: 'ended', agent: 'ivanov', talkSeconds: 60 });
  });
});
