import { describe, expect, it } from 'vitest';
import { parseWebhookFields } from '../src/channels/webhook/fields.js';
import { contactSchema, eventSchema, historySchema, ratingSchema } from '../src/telephony/megafon/schema.js';
import { backends } from './support/pg.js';
import {
  callByKey,
  fixture,
  fixtureFiles,
  MEGAFON_TOKEN,
  postWebhook,
  telephonyHarness,
} from './support/telephony.js';

const URL_MAIN = '/webhooks/megafon/main';
const ANSWERED = '4f2a9c1e-7b1d-4e55-9a0b-2f1c7d3e8a10';
const MISSED = '9c0d5b7a-31e4-4b6f-8d2a-6e1f0c9b7a55';

const SCHEMAS = { contact: contactSchema, event: eventSchema, history: historySchema, rating: ratingSchema };

describe('MegaFon fixtures', () => {
  it.each(fixtureFiles('megafon').filter((f) => !f.startsWith('megafon/malformed')))(
    '%s parses with the schema the webhook uses',
    (file) => {
      const raw = fixture(file);
      const fields = parseWebhookFields(raw, file.endsWith('.json') ? 'application/json' : undefined);
      expect(fields).toBeDefined();
      const schema = SCHEMAS[fields!.cmd as keyof typeof SCHEMAS];
      expect(schema, `cmd ${fields!.cmd}`).toBeDefined();
      expect(schema.safeParse(fields).success).toBe(true);
    },
  );
});

describe.each(backends())('MegaFon / ITooLabs webhook on %s', (backend) => {
  const h = telephonyHarness(backend);

  const send = (file: string) => postWebhook(h.ctx, URL_MAIN, fixture(`megafon/${file}`));

  it('an answered call: contact {} for a new number, live legs, then history makes a lead with the call', async () => {
    const contact = await send('answered-call/01-contact.form');
    expect(contact).toEqual({ status: 200, body: {} });

    expect((await send('answered-call/02-event-incoming-ivanov.form')).status).toBe(200);
    expect((await send('answered-call/03-event-incoming-petrov.form')).status).toBe(200);
    let live = await h.ctx.request('GET', '/api/v1/calls?live=true');
    const ringing = live.body.calls.find((c: { callKey: string }) => c.callKey === ANSWERED);
    expect(ringing).toMatchObject({
      state: 'ringing',
      direction: 'in',
      clientPhone: '+79161234567',
      dialled: '+74951234567',
    });
    expect(ringing.legs.map((l: { agent: string; state: string }) => [l.agent, l.state])).toEqual([
      ['ivanov', 'ringing'],
      ['petrova', 'ringing'],
    ]);

    const mine = await h.ctx.request('GET', '/api/v1/calls?live=true&agent=petrova');
    expect(mine.body.calls.map((c: { callKey: string }) => c.callKey)).toContain(ANSWERED);
    expect((await h.ctx.request('GET', '/api/v1/calls?live=true&agent=head')).body.calls).toEqual([]);

    await send('answered-call/04-event-accepted-ivanov.form');
    await send('answered-call/05-event-cancelled-petrov.form');
    let call = await callByKey(h.ctx, ANSWERED);
    expect(call).toMatchObject({ state: 'answered', agent: 'ivanov', agentPbx: 'ivanov' });
    expect(call.legs.map((l: { leg: string; state: string }) => [l.leg, l.state])).toEqual([
      ['ivanov', 'answered'],
      ['petrov', 'missed'],
    ]);
    // The receive time stamps the event: MegaFon sends none.
    expect(new Date(call.legs[0].receivedAt).toISOString()).toBe(h.ctx.clock.clock().toISOString());

    await send('answered-call/06-event-completed-ivanov.form');
    live = await h.ctx.request('GET', '/api/v1/calls?live=true');
    expect(live.body.calls.some((c: { callKey: string }) => c.callKey === ANSWERED)).toBe(false);

    expect(await send('answered-call/07-history.form')).toEqual({ status: 200, body: { ok: true } });
    await h.ctx.processor.drain();
    call = await callByKey(h.ctx, ANSWERED);
    expect(call).toMatchObject({
      state: 'ended',
      agent: 'ivanov',
      waitSeconds: 12,
      talkSeconds: 173,
      recordingUrl: 'https://acme.megapbx.ru/sys/records/4f2a9c1e/record.mp3',
      recording: { status: 'pending', attempts: 0 },
    });
    expect(new Date(call.startedAt).toISOString()).toBe('2024-03-15T09:15:02.000Z');
    expect(call.leadId).toBeTruthy();
    const lead = await h.ctx.request('GET', `/api/v1/leads/${call.leadId}`);
    expect(lead.body).toMatchObject({ kind: 'new', channel: 'phone', account: 'main', needsCallback: false });
    expect(lead.body.messages).toHaveLength(1);
    expect(lead.body.messages[0]).toMatchObject({ kind: 'call', direction: 'in', externalId: ANSWERED });
    expect(lead.body.messages[0].meta.call).toMatchObject({
      state: 'answered',
      agent: 'ivanov',
      talkSeconds: 173,
    });

    // The rating arrives after the call.
    expect((await send('answered-call/08-rating.form')).status).toBe(200);
    expect((await callByKey(h.ctx, ANSWERED)).rating).toBe('5');

    // Now the number is known: routing gave the new lead to petrova (the fallback team, retail), so the next
    // call from it rings her first, under her PBX login.
    expect(lead.body.responsible).toBe('petrova');
    expect(await send('answered-call/01-contact.form')).toEqual({
      status: 200,
      body: { responsible: 'petrov' },
    });
  });

  it('a missed call from a new number is a lead marked "needs a call back"; the call back clears it', async () => {
    expect((await send('missed-call/01-contact.form')).body).toEqual({});
    for (const f of [
      'missed-call/02-event-incoming-ivanov.form',
      'missed-call/03-event-incoming-petrov.form',
      'missed-call/04-event-cancelled-ivanov.form',
      'missed-call/05-event-cancelled-petrov.form',
    ])
      expect((await send(f)).status).toBe(200);
    expect((await callByKey(h.ctx, MISSED)).state).toBe('missed');
    await send('missed-call/06-history.form');
    await h.ctx.processor.drain();
    const call = await callByKey(h.ctx, MISSED);
    // `pbx` hung up, not a person: nobody answered.
    expect(call).toMatchObject({
      state: 'missed',
      agent: null,
      agentPbx: null,
      waitSeconds: 23,
      talkSeconds: 0,
    });
    expect(call.recording).toBeNull();
    const lead = await h.ctx.request('GET', `/api/v1/leads/${call.leadId}`);
    expect(lead.body).toMatchObject({ kind: 'new', needsCallback: true });

    // The manager calls back (outgoing): attached to the same contact, no new lead, the mark is cleared.
    for (const f of [
      '01-event-outgoing.form',
      '02-event-accepted.form',
      '03-event-completed.form',
      '04-history.form',
    ])
      expect((await send(`outgoing-call/${f}`)).status).toBe(200);
    await h.ctx.processor.drain();
    const out = await callByKey(h.ctx, 'b3e1f0a2-5c6d-4e7f-8091-a2b3c4d5e6f7');
    expect(out).toMatchObject({
      direction: 'out',
      state: 'ended',
      agent: 'ivanov',
      contactId: call.contactId,
    });
    expect(out.leadId).toBe(call.leadId);
    const [{ n } = { n: -1 }] = await h.ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM leads WHERE contact_id = ${call.contactId}`;
    expect(n).toBe(1);
    expect((await h.ctx.request('GET', `/api/v1/leads/${call.leadId}`)).body.needsCallback).toBe(false);
  });

  it("a known client with an active deal: contact answers the deal's manager; history attaches to the deal", async () => {
    await h.ctx.request('PUT', '/api/v1/companies/romashka', { name: 'ООО Ромашка', responsible: 'head' });
    await h.ctx.request('PUT', '/api/v1/contacts/petrov-ivan', {
      name: 'Иван Петров',
      phones: ['+7 (917) 555-00-22'],
      companyExternalId: 'romashka',
      responsible: 'ivanov',
    });
    // Without a deal the contact's own manager answers.
    expect((await send('known-client/01-contact.form')).body).toEqual({
      contact_name: 'ООО Ромашка — Иван Петров',
      responsible: 'ivanov',
    });
    const deal = await h.ctx.request('PUT', '/api/v1/deals/deal-77', {
      contactExternalId: 'petrov-ivan',
      stage: 'Замер',
      status: 'active',
      responsible: 'petrova',
    });
    // The deal's manager is petrova, whose PBX login is `petrov`.
    expect((await send('known-client/01-contact.form')).body).toEqual({
      contact_name: 'ООО Ромашка — Иван Петров',
      responsible: 'petrov',
    });
    // Every format a PBX sends resolves to the same person.
    for (const phone of [
      '79175550022',
      '89175550022',
      '+79175550022',
      'sip:79175550022@acme.megapbx.ru',
      '9175550022',
    ]) {
      const r = await postWebhook(
        h.ctx,
        URL_MAIN,
        `cmd=contact&phone=${encodeURIComponent(phone)}&crm_token=test-crm-token-1`,
      );
      expect(r.body.responsible, phone).toBe('petrov');
    }

    // Answered by a department login: not a person, so no agent.
    await send('known-client/02-history-group-login.form');
    // The same protocol as JSON.
    expect(
      (
        await postWebhook(
          h.ctx,
          URL_MAIN,
          fixture('megafon/known-client/03-history.json'),
          'application/json',
        )
      ).status,
    ).toBe(200);
    await h.ctx.processor.drain();
    const group = await callByKey(h.ctx, 'e7d6c5b4-a392-4817-9605-f4e3d2c1b0a9');
    expect(group).toMatchObject({ state: 'ended', agent: null, dealId: deal.body.id, leadId: null });
    const json = await callByKey(h.ctx, 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9');
    expect(json).toMatchObject({ state: 'ended', agent: 'ivanov', agentPbx: 'ivanov', dealId: deal.body.id });
    const decisions = await h.ctx.db.sql<{ decision: { kind: string }[] }[]>`
      SELECT decision FROM inbound_events WHERE source = 'megafon' AND external_id = 'e7d6c5b4-a392-4817-9605-f4e3d2c1b0a9'`;
    expect(decisions[0]!.decision[0]!.kind).toBe('attached_to_deal');
  });

  it("the open lead's assignee answers when there is no deal", async () => {
    const phone = '79035550033';
    await postWebhook(
      h.ctx,
      URL_MAIN,
      `cmd=history&type=in&status=missed&phone=${phone}&user=pbx&start=20240317T080000Z&duration=5&link=&callid=lead-assignee-1&crm_token=test-crm-token-1`,
    );
    await h.ctx.processor.drain();
    const call = await callByKey(h.ctx, 'lead-assignee-1');
    await h.ctx.request('PATCH', `/api/v1/leads/${call.leadId}`, {
      responsible: 'petrova',
      status: 'in_progress',
    });
    const r = await postWebhook(h.ctx, URL_MAIN, `cmd=contact&phone=${phone}&crm_token=test-crm-token-1`);
    expect(r.body).toEqual({ responsible: 'petrov' });
  });

  it('duplicated and out-of-order pushes: one lead, one message, legs never move backwards', async () => {
    const key = 'dup-ooo-1';
    const base = `phone=79645550044&diversion=74951234567&callid=${key}&crm_token=test-crm-token-1`;
    const ev = (type: string, user: string) =>
      postWebhook(h.ctx, URL_MAIN, `cmd=event&type=${type}&user=${user}%40acme.megapbx.ru&${base}`);
    const history = `cmd=history&type=in&status=Success&user=ivanov%40acme.megapbx.ru&start=20240318T100000Z&duration=60&link=&${base}`;
    // The record first, then late live events: the final state stays.
    await postWebhook(h.ctx, URL_MAIN, history);
    await postWebhook(h.ctx, URL_MAIN, history);
    await h.ctx.processor.drain();
    await ev('COMPLETED', 'ivanov');
    await ev('ACCEPTED', 'ivanov');
    await ev('INCOMING', 'ivanov');
    await ev('INCOMING', 'ivanov');
    const call = await callByKey(h.ctx, key);
    expect(call.state).toBe('ended');
    expect(call.legs).toEqual([expect.objectContaining({ leg: 'ivanov', state: 'ended' })]);
    const [counts] = await h.ctx.db.sql<{ m: number; l: number; e: number }[]>`
      SELECT (SELECT count(*) FROM messages WHERE external_id = ${key})::int AS m,
             (SELECT count(*) FROM leads WHERE contact_id = ${call.contactId})::int AS l,
             (SELECT count(*) FROM inbound_events WHERE external_id = ${key})::int AS e`;
    expect(counts).toEqual({ m: 1, l: 1, e: 2 });
    const kinds = await h.ctx.db.sql<{ kind: string }[]>`
      SELECT decision->0->>'kind' AS kind FROM inbound_events WHERE external_id = ${key} ORDER BY received_at, id`;
    expect(kinds.map((k) => k.kind).sort()).toEqual(['duplicate', 'new_lead']);
  });

  it('a wrong or missing crm_token is 401 and nothing is stored', async () => {
    const before = await h.ctx.db.sql`SELECT count(*)::int AS n FROM inbound_events`;
    expect(await send('malformed/wrong-token.form')).toEqual({
      status: 401,
      body: { error: 'Invalid token' },
    });
    const noToken = fixture('megafon/missed-call/06-history.form').replace(/&crm_token=[^&]*/, '');
    expect((await postWebhook(h.ctx, URL_MAIN, noToken)).status).toBe(401);
    const forged = fixture('megafon/missed-call/06-history.form').replace(
      'test-crm-token-1',
      'test-crm-token-2',
    );
    expect((await postWebhook(h.ctx, URL_MAIN, forged)).status).toBe(401);
    expect(await h.ctx.db.sql`SELECT count(*)::int AS n FROM inbound_events`).toEqual(before);
    expect(
      (await postWebhook(h.ctx, '/webhooks/megafon/other', fixture('megafon/missed-call/01-contact.form')))
        .status,
    ).toBe(404);
  });

  it('a body that is no command is 400; every recognised command gets 200, even malformed; unknown ones too', async () => {
    expect(await send('malformed/not-a-form.txt')).toEqual({
      status: 400,
      body: { error: 'Invalid parameters' },
    });
    expect((await postWebhook(h.ctx, URL_MAIN, '')).status).toBe(400);
    expect((await postWebhook(h.ctx, URL_MAIN, '{"cmd":', 'application/json')).status).toBe(400);
    // A history without its callid cannot be deduplicated: kept as rejected (retryable), still 200 (§9.6).
    const noCallid = 'cmd=history&type=in&status=Success&phone=79161234567&start=20240315T091502Z&duration=5';
    expect(await postWebhook(h.ctx, URL_MAIN, `${noCallid}&crm_token=${MEGAFON_TOKEN}`)).toEqual({
      status: 200,
      body: { ok: true },
    });
    const rejected = await h.ctx.db.sql<{ lastError: string; payload: { fields: Record<string, string> } }[]>`
      SELECT last_error, payload FROM inbound_events WHERE source = 'megafon' AND status = 'rejected' ORDER BY received_at`;
    expect(rejected.map((r) => r.lastError)).toEqual([expect.stringMatching(/^callid: /)]);
    // The secret is not kept at rest.
    expect(rejected[0]!.payload.fields.crm_token).toBeUndefined();
    expect(await send('malformed/unknown-command.form')).toEqual({ status: 200, body: { ok: true } });
    // A contact lookup with a junk number answers {} (the caller is waiting); an event or a rating without
    // callid cannot be used and is acknowledged all the same.
    expect(
      (await postWebhook(h.ctx, URL_MAIN, 'cmd=contact&phone=abc&crm_token=test-crm-token-1')).body,
    ).toEqual({});
    expect(await postWebhook(h.ctx, URL_MAIN, 'cmd=event&type=INCOMING&crm_token=test-crm-token-1')).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(
      (await postWebhook(h.ctx, URL_MAIN, 'cmd=rating&rating=5&crm_token=test-crm-token-1')).status,
    ).toBe(200);
    // An event type from a newer build is acknowledged and ignored.
    expect(
      (await postWebhook(h.ctx, URL_MAIN, 'cmd=event&type=PARKED&callid=x-1&crm_token=test-crm-token-1'))
        .status,
    ).toBe(200);
  });

  it('a history in a variant shape is 200 and becomes a call, with what could not be read noted', async () => {
    // The three shapes of issue 16 item 6: an ISO start, a recording link that is a path on the PBX, and the
    // fixtures' start without a zone and junk type/duration. The PBX pushes a history after the call: the
    // daemon's clock is past the calls' start (a time after receipt would be clamped to the receipt).
    h.ctx.clock.set(new Date('2026-11-30T12:00:00Z'));
    const iso = await postWebhook(
      h.ctx,
      URL_MAIN,
      `cmd=history&type=in&status=Success&phone=79035550101&user=ivanov&start=2026-11-30T11:00:00Z&duration=60&link=&callid=v-iso&crm_token=${MEGAFON_TOKEN}`,
    );
    expect(iso).toEqual({ status: 200, body: { ok: true } });
    const relative = await postWebhook(
      h.ctx,
      URL_MAIN,
      `cmd=history&type=in&status=Success&phone=79035550102&user=ivanov&start=20261130T110500Z&duration=60&link=%2Fsys%2Frec.mp3&callid=v-relative&crm_token=${MEGAFON_TOKEN}`,
    );
    expect(relative.status).toBe(200);
    // The malformed fixtures under call ids of their own (theirs is the answered call's of the first test).
    const variant = (file: string, callid: string) =>
      postWebhook(h.ctx, URL_MAIN, fixture(`megafon/malformed/${file}`).replace(ANSWERED, callid));
    expect(await variant('history-bad-start.form', 'v-zoneless')).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect((await variant('history-bad-fields.form', 'v-bad-fields')).status).toBe(200);
    await h.ctx.processor.drain();

    const a = await callByKey(h.ctx, 'v-iso');
    expect(a).toMatchObject({ state: 'ended', clientPhone: '+79035550101', parseIssues: null });
    expect(new Date(a.startedAt).toISOString()).toBe('2026-11-30T11:00:00.000Z');
    expect(a.leadId).toBeTruthy();

    // The path is on the tenant: resolved against the account's baseUrl and copied from there.
    const b = await callByKey(h.ctx, 'v-relative');
    expect(b.recordingUrl).toBe(`${h.pbx.url}/sys/rec.mp3`);
    h.pbx.on('GET /sys/rec.mp3', () => ({ headers: { 'content-type': 'audio/mpeg' }, body: 'ID3rec' }));
    expect(await h.ctx.telephony.recordings.runOnce()).toBe(1);
    expect((await callByKey(h.ctx, 'v-relative')).recording).toMatchObject({ status: 'stored', bytes: 6 });

    const c = await callByKey(h.ctx, 'v-zoneless');
    expect(new Date(c.startedAt).toISOString()).toBe('2024-03-15T09:15:02.000Z');
    expect(c.parseIssues).toEqual([{ field: 'start', issue: 'no time zone; read as UTC' }]);
    const e = await callByKey(h.ctx, 'v-bad-fields');
    expect(e).toMatchObject({ direction: 'in', state: 'ended', talkSeconds: 0 });
    expect(e.parseIssues).toEqual([
      { field: 'type', issue: 'not in/out; taken as in' },
      { field: 'duration', issue: 'not whole seconds; ignored' },
    ]);
    // None was refused: all four were decided (the fixtures' number is the first test's, so they attach).
    const decided = await h.ctx.db.sql<{ status: string; n: number }[]>`
      SELECT status, count(*)::int AS n FROM inbound_events
      WHERE external_id IN ('v-iso', 'v-relative', 'v-zoneless', 'v-bad-fields') GROUP BY status`;
    expect(decided).toEqual([{ status: 'processed', n: 4 }]);

    // Junk type and duration, a start that is no time: the receive time, `in`, and every issue noted.
    const junk = await postWebhook(
      h.ctx,
      URL_MAIN,
      `cmd=history&type=sideways&status=Success&phone=79035550103&start=yesterday&duration=abc&callid=v-junk&crm_token=${MEGAFON_TOKEN}`,
    );
    expect(junk.status).toBe(200);
    await h.ctx.processor.drain();
    const d = await callByKey(h.ctx, 'v-junk');
    expect(d).toMatchObject({ direction: 'in', state: 'ended' });
    expect(new Date(d.startedAt).toISOString()).toBe(h.ctx.clock.clock().toISOString());
    expect(d.parseIssues).toEqual([
      { field: 'type', issue: 'not in/out; taken as in' },
      { field: 'start', issue: 'not a time; the receive time was used' },
      { field: 'duration', issue: 'not whole seconds; ignored' },
    ]);
  });

  it('answers {} within the budget while the database is blocked, and the real answer once it is free', async () => {
    await h.ctx.request('PUT', '/api/v1/contacts/slow-db', {
      name: 'Медленный',
      phones: ['79855550055'],
      responsible: 'ivanov',
    });
    const body = 'cmd=contact&phone=79855550055&callid=slow-1&crm_token=test-crm-token-1';
    expect((await postWebhook(h.ctx, URL_MAIN, body)).body).toEqual({
      contact_name: 'Медленный',
      responsible: 'ivanov',
    });

    // Another session holds an exclusive lock on identities: the lookup's query waits on it (on the embedded
    // database, whose single connection this transaction holds, the query waits for the connection).
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    const holder = h.ctx.db.sql.begin(async (tx) => {
      await tx`LOCK TABLE identities IN ACCESS EXCLUSIVE MODE`;
      locked();
      await released;
    });
    await isLocked;
    const started = performance.now();
    const slow = await postWebhook(h.ctx, URL_MAIN, body);
    const elapsed = performance.now() - started;
    release();
    await holder;
    expect(slow).toEqual({ status: 200, body: {} });
    // The budget is 800 ms; generous slack for a loaded machine, but far below "waits for the lock".
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(3_000);
    const metrics = await h.ctx.request('GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toMatch(/switchboard_pbx_contact_lookup_seconds_count\{outcome="timeout"\} 1\b/);
    expect((await postWebhook(h.ctx, URL_MAIN, body)).body).toEqual({
      contact_name: 'Медленный',
      responsible: 'ivanov',
    });
  });
});
