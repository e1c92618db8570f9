import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  callEventSchema,
  mangoFormSchema,
  recordingEventSchema,
  summarySchema,
} from '../src/telephony/mango/schema.js';
import { backends } from './support/pg.js';
import {
  callByKey,
  fixture,
  fixtureFiles,
  MANGO_KEY,
  MANGO_SALT,
  postWebhook,
  signedForm,
  telephonyHarness,
} from './support/telephony.js';

const BASE = '/webhooks/mango/mango1/events';
const ANSWERED = 'MTAxMjM0NTY3ODk6MTAx';
const MISSED = 'MTAxMjM0NTY3OTA6MTAy';

const schemaFor = (file: string) =>
  file.includes('summary')
    ? summarySchema
    : file.includes('recording')
      ? recordingEventSchema
      : callEventSchema;

describe('Mango fixtures', () => {
  it.each(fixtureFiles('mango').filter((f) => f.endsWith('.json') && !f.includes('malformed')))(
    '%s parses with the schema the webhook uses',
    (file) => {
      expect(schemaFor(file).safeParse(JSON.parse(fixture(file))).success).toBe(true);
    },
  );
  it('the signed summary form parses with the form schema', () => {
    const form = Object.fromEntries(new URLSearchParams(fixture('mango/answered-call/06-summary.form')));
    expect(mangoFormSchema.safeParse(form).success).toBe(true);
    expect(summarySchema.safeParse(JSON.parse(form.json!)).success).toBe(true);
  });
});

describe.each(backends())('Mango Office webhooks on %s', (backend) => {
  const h = telephonyHarness(backend);

  const event = (kind: string, file: string) =>
    postWebhook(h.ctx, `${BASE}/${kind}`, signedForm(fixture(`mango/${file}`).trim()));

  it('an answered call: events out of order and twice, the summary decides, the recording is fetched signed', async () => {
    // seq 3 (Connected) arrives before seq 2 (Appeared), and seq 2 arrives twice.
    for (const f of [
      '01-call-appeared-ivr',
      '03-call-connected',
      '02-call-appeared-abonent',
      '02-call-appeared-abonent',
    ])
      expect(await event('call', `answered-call/${f}.json`)).toEqual({ status: 200, body: '' });
    let call = await callByKey(h.ctx, ANSWERED);
    expect(call).toMatchObject({
      state: 'answered',
      direction: 'in',
      clientPhone: '+79161234567',
      agentPbx: '101',
    });
    const leg2 = call.legs.find((l: { leg: string }) => l.leg === 'MToxMDAxMjM0NTo0NTY3ODk6Mg==');
    // The stale Appeared (seq 2) did not undo Connected (seq 3).
    expect(leg2).toMatchObject({ state: 'answered', seq: '3' });

    await event('call', 'answered-call/04-call-disconnected.json');
    await event('call', 'answered-call/05-call-disconnected-ivr.json');
    call = await callByKey(h.ctx, ANSWERED);
    expect(call.state).toBe('ended');

    // The signed form fixture exactly as Mango sends it (its json has a space and Cyrillic).
    expect(
      (await postWebhook(h.ctx, `${BASE}/summary`, fixture('mango/answered-call/06-summary.form'))).status,
    ).toBe(200);
    expect(
      (await postWebhook(h.ctx, `${BASE}/summary`, fixture('mango/answered-call/06-summary.form'))).status,
    ).toBe(200);
    await h.ctx.processor.drain();
    call = await callByKey(h.ctx, ANSWERED);
    expect(call).toMatchObject({ state: 'ended', waitSeconds: 12, talkSeconds: 185 });
    expect(new Date(call.startedAt).toISOString()).toBe('2024-03-15T09:05:02.000Z');
    const lead = await h.ctx.request('GET', `/api/v1/leads/${call.leadId}`);
    expect(lead.body).toMatchObject({ channel: 'phone', account: 'mango1', needsCallback: false });
    expect(lead.body.messages).toHaveLength(1);
    const events = await h.ctx.db.sql<{ raw: Buffer; decision: { kind: string }[] }[]>`
      SELECT raw, decision FROM inbound_events WHERE source = 'mango' AND external_id = ${ANSWERED}`;
    expect(events.map((e) => e.decision[0]!.kind).sort()).toEqual(['duplicate', 'new_lead']);
    // The raw json field is kept byte for byte (it is what the signature covers).
    expect(Buffer.from(events[0]!.raw).toString()).toContain(
      '"disconnect_reason":1110, "comment":"Звонок с сайта"',
    );

    // The recording is announced separately and fetched through a signed queries/recording/post.
    await event('recording', 'answered-call/07-recording-completed.json');
    h.pbx.on('POST /vpbx/queries/recording/post', () => ({
      headers: { 'content-type': 'audio/mpeg' },
      body: 'ID3mango',
    }));
    expect(await h.ctx.telephony.recordings.runOnce()).toBe(1);
    const [req] = h.pbx.requests;
    const form = Object.fromEntries(new URLSearchParams(req!.body));
    expect(JSON.parse(form.json!)).toEqual({
      recording_id: 'MToxMDAxMjM0NTo0NTY3ODk6cmVjMQ==',
      action: 'download',
    });
    expect(form.sign).toBe(
      createHash('sha256')
        .update(MANGO_KEY + form.json + MANGO_SALT)
        .digest('hex'),
    );
    expect((await callByKey(h.ctx, ANSWERED)).recording).toMatchObject({ status: 'stored', bytes: 8 });
  });

  it('a missed call from a SIP URI is a new lead needing a call back; WhatsApp from that number joins it', async () => {
    for (const f of [
      '01-call-appeared-ivr',
      '02-call-appeared-abonent',
      '03-call-disconnected-abonent',
      '04-call-disconnected-ivr',
    ])
      await event('call', `missed-call/${f}.json`);
    expect((await callByKey(h.ctx, MISSED)).state).toBe('missed');
    await event('summary', 'missed-call/05-summary.json');
    await h.ctx.processor.drain();
    const call = await callByKey(h.ctx, MISSED);
    expect(call).toMatchObject({
      state: 'missed',
      clientPhone: '+79265550011',
      agent: null,
      talkSeconds: 0,
      waitSeconds: 23,
    });
    const lead = await h.ctx.request('GET', `/api/v1/leads/${call.leadId}`);
    expect(lead.body).toMatchObject({ kind: 'new', needsCallback: true });

    const wa = await h.ctx.request('POST', '/api/v1/inbound', {
      channel: 'whatsapp',
      account: '79000000001',
      externalId: 'wa-after-missed',
      occurredAt: '2024-03-15T10:20:00Z',
      from: { phones: ['+7 (926) 555-00-11'], userId: 'wa-926' },
      text: 'Я вам звонил',
    });
    expect(wa.body.decision).toMatchObject({
      kind: 'attached_to_lead',
      contactId: call.contactId,
      leadId: call.leadId,
    });
  });

  it('a wrong key, a wrong signature or a re-serialized json is 401 and nothing is stored', async () => {
    const before = await h.ctx.db.sql`SELECT count(*)::int AS n FROM inbound_events`;
    const json = fixture('mango/missed-call/05-summary.json').trim();
    expect((await postWebhook(h.ctx, `${BASE}/summary`, signedForm(json, 'other-key'))).status).toBe(401);
    expect(
      (await postWebhook(h.ctx, `${BASE}/summary`, signedForm(json, MANGO_KEY, 'other-salt'))).status,
    ).toBe(401);
    const form = new URLSearchParams(fixture('mango/answered-call/06-summary.form'));
    form.set('json', JSON.stringify(JSON.parse(form.get('json')!)));
    expect(await postWebhook(h.ctx, `${BASE}/summary`, form.toString())).toEqual({
      status: 401,
      body: { error: 'Invalid signature' },
    });
    expect(await h.ctx.db.sql`SELECT count(*)::int AS n FROM inbound_events`).toEqual(before);
    expect((await postWebhook(h.ctx, '/webhooks/mango/nope/events/summary', signedForm(json))).status).toBe(
      404,
    );
  });

  it('an unsigned body or unreadable json is 400; every readable signed notification gets 200, even malformed', async () => {
    expect((await postWebhook(h.ctx, `${BASE}/summary`, 'json={}')).status).toBe(400);
    expect((await postWebhook(h.ctx, `${BASE}/summary`, signedForm('{not json'))).status).toBe(400);
    // Without entry_id the summary cannot be deduplicated: kept as rejected (retryable), still 200.
    const bad = await postWebhook(
      h.ctx,
      `${BASE}/summary`,
      signedForm(fixture('mango/malformed/summary-without-entry-id.json').trim()),
    );
    expect(bad).toEqual({ status: 200, body: '' });
    // Both signed bodies are kept: the one whose json is unreadable and the one that fails the schema.
    const rejected = await h.ctx.db.sql<{ lastError: string }[]>`
      SELECT last_error FROM inbound_events WHERE source = 'mango' AND status = 'rejected' ORDER BY last_error`;
    expect(rejected.map((r) => r.lastError)).toEqual([
      expect.stringMatching(/^json\.entry_id: /),
      expect.stringMatching(/^json: malformed JSON/),
    ]);
    // Live events and recordings that cannot be used are acknowledged: only the status code is read.
    expect(await postWebhook(h.ctx, `${BASE}/call`, signedForm('{"entry_id":"x","seq":1}'))).toEqual({
      status: 200,
      body: '',
    });
    expect((await postWebhook(h.ctx, `${BASE}/recording`, signedForm('{"entry_id":"x"}'))).status).toBe(200);
    expect((await postWebhook(h.ctx, `${BASE}/dtmf`, signedForm('{"entry_id":"x","dtmf":"1"}'))).status).toBe(
      200,
    );
    expect((await postWebhook(h.ctx, `${BASE}/brand-new`, signedForm('{"entry_id":"x"}'))).status).toBe(200);
    expect((await postWebhook(h.ctx, '/webhooks/mango/mango1/ping', '')).status).toBe(200);
  });

  it('a summary in a variant shape is 200 and becomes a call, with what could not be read noted', async () => {
    const json = JSON.stringify({
      entry_id: 'variant-1',
      call_direction: '1',
      from: { number: '79035550201' },
      to: { extension: '101' },
      create_time: '2026-11-30T11:00:00Z',
      talk_time: 'n/a',
      end_time: 1796036460,
    });
    // The summary comes after the call: the daemon's clock is past its start (a later start would be clamped).
    h.ctx.clock.set(new Date('2026-11-30T12:00:00Z'));
    expect(await postWebhook(h.ctx, `${BASE}/summary`, signedForm(json))).toEqual({ status: 200, body: '' });
    await h.ctx.processor.drain();
    const call = await callByKey(h.ctx, 'variant-1');
    expect(call).toMatchObject({
      state: 'missed',
      clientPhone: '+79035550201',
      waitSeconds: 60,
      talkSeconds: 0,
    });
    expect(new Date(call.startedAt).toISOString()).toBe('2026-11-30T11:00:00.000Z');
    expect(call.parseIssues).toEqual([
      { field: 'talk_time', issue: 'not a time; ignored' },
      { field: 'entry_result', issue: 'not 0 or 1; taken from talk_time' },
    ]);
    expect((await h.ctx.request('GET', `/api/v1/leads/${call.leadId}`)).body.needsCallback).toBe(true);
  });
});
