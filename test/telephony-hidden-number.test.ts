import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './support/context.js';
import { backends } from './support/pg.js';
import {
  callByKey,
  MEGAFON_TOKEN,
  postWebhook,
  signedForm,
  telephonyConfig,
  telephonyHarness,
} from './support/telephony.js';

const MEGAFON = '/webhooks/megafon/main';
const MANGO = '/webhooks/mango/mango1/events';

/** A MegaFon history from `phone` (as the PBX spells a hidden number). */
const history = (callid: string, phone: string, over = '') =>
  `cmd=history&type=in&status=missed&phone=${encodeURIComponent(phone)}&diversion=74951234567&user=pbx&start=20261130T090000Z&duration=20&link=&callid=${callid}&crm_token=${MEGAFON_TOKEN}${over}`;

/** A Mango summary of a missed incoming call whose `from` is `from`. */
const summary = (entryId: string, from: Record<string, string>) =>
  signedForm(
    JSON.stringify({
      entry_id: entryId,
      call_direction: 1,
      from,
      to: { extension: '101', number: '74951234567' },
      line_number: '74951234567',
      create_time: 1796029200,
      talk_time: 0,
      end_time: 1796029230,
      entry_result: 0,
      disconnect_reason: 1100,
    }),
  );

async function counts(ctx: TestContext) {
  const [row] = await ctx.db.sql<{ contacts: number; leads: number; messages: number }[]>`
    SELECT (SELECT count(*) FROM contacts)::int AS contacts, (SELECT count(*) FROM leads)::int AS leads,
           (SELECT count(*) FROM messages)::int AS messages`;
  return row!;
}

describe.each(backends())('hidden-number calls on %s', (backend) => {
  const h = telephonyHarness(backend);

  it('are calls managers see and a dashboard counts, with no contact, no lead and no call back', async () => {
    const before = await counts(h.ctx);
    // The phone rings first: the live view shows the call, without a number.
    const ringing = `cmd=event&type=INCOMING&phone=anonymous&diversion=74951234567&user=ivanov%40acme.megapbx.ru&ext=701&callid=hidden-anon&crm_token=${MEGAFON_TOKEN}`;
    expect((await postWebhook(h.ctx, MEGAFON, ringing)).status).toBe(200);
    const live = await h.ctx.request('GET', '/api/v1/calls?live=true');
    expect(live.body.calls).toEqual([
      expect.objectContaining({ callKey: 'hidden-anon', state: 'ringing', clientPhone: null }),
    ]);

    for (const [callid, phone] of [
      ['hidden-anon', 'anonymous'],
      ['hidden-empty', ''],
      ['hidden-unknown', 'Unknown'],
      ['hidden-private', 'private'],
      // Digits, but nobody to call back: a placeholder, and our own number (config company.phones).
      ['hidden-zeros', '000000'],
      ['hidden-own', '88005553535'],
    ] as const)
      expect(await postWebhook(h.ctx, MEGAFON, history(callid, phone))).toEqual({
        status: 200,
        body: { ok: true },
      });
    // The same number answered by a person, and a redelivery of the first record.
    await postWebhook(
      h.ctx,
      MEGAFON,
      history('hidden-answered', 'anonymous')
        .replace('status=missed', 'status=Success')
        .replace('user=pbx', 'user=ivanov'),
    );
    await postWebhook(h.ctx, MEGAFON, history('hidden-anon', 'anonymous'));
    for (const [entry, from] of [
      ['hidden-mango-sip', { number: 'sip:anonymous@anonymous.invalid' }],
      ['hidden-mango-none', {}],
    ] as const)
      expect(await postWebhook(h.ctx, `${MANGO}/summary`, summary(entry, from))).toEqual({
        status: 200,
        body: '',
      });
    await h.ctx.processor.drain();

    // Nobody to call back: no contact, no lead, no message (so no SLA alert either).
    expect(await counts(h.ctx)).toEqual(before);

    const hidden = await h.ctx.request('GET', '/api/v1/calls?numberHidden=true');
    const keys = hidden.body.calls.map((c: { callKey: string }) => c.callKey).sort();
    expect(keys).toEqual([
      'hidden-anon',
      'hidden-answered',
      'hidden-empty',
      'hidden-mango-none',
      'hidden-mango-sip',
      'hidden-own',
      'hidden-private',
      'hidden-unknown',
      'hidden-zeros',
    ]);
    for (const c of hidden.body.calls)
      expect(c).toMatchObject({ numberHidden: true, clientPhone: null, contactId: null, leadId: null });
    expect(await callByKey(h.ctx, 'hidden-anon')).toMatchObject({
      state: 'missed',
      dialled: '+74951234567',
      waitSeconds: 20,
      legs: [expect.objectContaining({ agent: 'ivanov' })],
    });
    expect(await callByKey(h.ctx, 'hidden-answered')).toMatchObject({ state: 'ended', agent: 'ivanov' });
    expect((await callByKey(h.ctx, 'hidden-zeros')).parseIssues).toEqual([
      { field: 'phone', issue: 'not a number that can be called back; treated as hidden' },
    ]);
    expect((await callByKey(h.ctx, 'hidden-anon')).parseIssues).toBeNull();
    expect(await callByKey(h.ctx, 'hidden-mango-sip')).toMatchObject({ provider: 'mango', state: 'missed' });
    const visible = await h.ctx.request('GET', '/api/v1/calls?numberHidden=false');
    expect(visible.body.calls.some((c: { numberHidden: boolean }) => c.numberHidden)).toBe(false);

    // Each record is processed, with the rule that kept it out of the lead rules.
    const events = await h.ctx.db.sql<{ status: string; rule: string }[]>`
      SELECT DISTINCT status, skipped->0->>'rule' AS rule FROM inbound_events WHERE external_id LIKE 'hidden-%'`;
    expect(events).toEqual([{ status: 'processed', rule: 'skip_hidden_number' }]);
    const metrics = await h.ctx.request('GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toMatch(
      /switchboard_inbound_events_total\{channel="phone",decision="skipped"\} 10\b/,
    );
  });

  it('keep the time we received them when the PBX stamps them later, like every other communication', async () => {
    // The record says 2026-11-30T09:00Z; the daemon received it at the test clock's 2026-11-20T09:00Z.
    expect((await postWebhook(h.ctx, MEGAFON, history('hidden-future', 'anonymous'))).status).toBe(200);
    await h.ctx.processor.drain();
    const call = await callByKey(h.ctx, 'hidden-future');
    expect(new Date(call.startedAt).toISOString()).toBe(h.ctx.clock.clock().toISOString());
  });
});

describe.each(backends())('hidden-number calls with telephony.anonymousCalls: lead on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    const base = telephonyConfig('http://127.0.0.1:9');
    ctx = await createTestContext(backend, {
      ...base,
      telephony: { ...base.telephony, anonymousCalls: 'lead' },
    });
  });
  afterAll(() => ctx?.close());

  it('each makes a lead as the policy says, but none asks for a call back nobody can make', async () => {
    expect((await postWebhook(ctx, MEGAFON, history('policy-lead-1', 'anonymous'))).status).toBe(200);
    await ctx.processor.drain();
    const call = await callByKey(ctx, 'policy-lead-1');
    expect(call).toMatchObject({ numberHidden: true, clientPhone: null, state: 'missed' });
    expect(call.leadId).toBeTruthy();
    const lead = await ctx.request('GET', `/api/v1/leads/${call.leadId}`);
    expect(lead.body).toMatchObject({ kind: 'new', channel: 'phone', needsCallback: false });
  });
});
