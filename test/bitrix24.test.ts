import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bitrix24Error, createBitrix24Client } from '../src/crm/bitrix24/client.js';
import {
  b24ContactSchema,
  b24DealSchema,
  b24EventSchema,
  b24UserSchema,
  batchResultSchema,
  dealContactsSchema,
  envelopeSchema,
} from '../src/crm/bitrix24/schema.js';
import { type Bitrix24Fake, startBitrix24Fake } from './support/bitrix24-fake.js';
import { createTestContext, inboundBody, manualClock, type TestContext } from './support/context.js';
import { backends } from './support/pg.js';

const TOKEN = 'jvh9y1ulvt2m6k5or90v9mg8nn32ozas';
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/bitrix24/${name}`, import.meta.url), 'utf8');
const json = (name: string) => JSON.parse(fixture(name));

describe('Bitrix24 fixtures parse with the connector schemas', () => {
  it('no fixture goes unparsed: a new file must be added to the test below', () => {
    expect(readdirSync(new URL('../fixtures/bitrix24/', import.meta.url)).sort()).toEqual([
      'README.md',
      'batch.json',
      'crm.contact.list.json',
      'crm.deal.contact.items.get.json',
      'crm.deal.get.json',
      'crm.lead.add.json',
      'crm.lead.add.request.json',
      'error.QUERY_LIMIT_EXCEEDED.json',
      'event.ONCRMDEALUPDATE.form',
      'telephony.externalcall.finish.json',
      'telephony.externalcall.finish.request.json',
      'telephony.externalcall.register.json',
      'telephony.externalcall.register.request.json',
      'user.get.json',
    ]);
  });
  it('every fixture', () => {
    const list = envelopeSchema.parse(json('crm.contact.list.json')) as { result: unknown[] };
    expect(b24ContactSchema.parse(list.result[0])).toMatchObject({ ID: '75', COMPANY_ID: '12' });
    expect(dealContactsSchema.parse(json('crm.deal.contact.items.get.json').result)[0]?.CONTACT_ID).toBe(
      '84',
    );
    expect(b24DealSchema.parse(json('crm.deal.get.json').result).STAGE_SEMANTIC_ID).toBe('P');
    expect(b24UserSchema.parse(json('user.get.json').result[0]).EMAIL).toBe('ivan@company.ru');
    expect(envelopeSchema.parse(json('crm.lead.add.json'))).toMatchObject({ result: 3465 });
    // crm.lead.add.request.json is what the writer must send: checked against its real request below
    // ("a new lead becomes one Bitrix24 lead").
    const batch = batchResultSchema.parse(json('batch.json').result);
    expect(batch.result_error).toEqual({});
    expect(dealContactsSchema.parse(batch.result.d411)).toEqual([]);
    expect(envelopeSchema.parse(json('error.QUERY_LIMIT_EXCEEDED.json'))).toMatchObject({
      error: 'QUERY_LIMIT_EXCEEDED',
    });
    expect(envelopeSchema.parse(json('telephony.externalcall.register.json'))).toMatchObject({
      result: { CALL_ID: expect.stringMatching(/^externalCall\./) },
    });
    expect(envelopeSchema.parse(json('telephony.externalcall.finish.json'))).toMatchObject({
      result: { CALL_FAILED_CODE: '200' },
    });
    // The *.request.json files are what the call writer must send: checked against its real requests below.
    const form = Object.fromEntries(new URLSearchParams(fixture('event.ONCRMDEALUPDATE.form')));
    expect(b24EventSchema.parse(form)).toMatchObject({
      event: 'ONCRMDEALUPDATE',
      'data[FIELDS][ID]': '7405',
    });
  });
});

describe('Bitrix24 client against the fake', () => {
  let fake: Bitrix24Fake;
  const clock = manualClock();
  beforeAll(async () => {
    fake = await startBitrix24Fake({ clock: clock.clock });
  });
  afterAll(() => fake?.close());
  const client = (url: string) =>
    createBitrix24Client({
      webhookUrl: url,
      clock: clock.clock,
      sleep: async (ms) => void clock.advance(ms),
      requestsPerSecond: 2,
      burst: 10,
      timeoutMs: 5000,
    });

  it('a bad webhook code is a 401 that is not retried', async () => {
    const err = await client(fake.badWebhookUrl)
      .call('crm.contact.list', {})
      .catch((e) => e);
    expect(err).toBeInstanceOf(Bitrix24Error);
    expect(err).toMatchObject({ status: 401, b24code: 'INVALID_CREDENTIALS', retryable: false });
  });

  it('keeps to 2 requests/s after its burst, and waits out QUERY_LIMIT_EXCEEDED', async () => {
    const c = client(fake.webhookUrl);
    const t0 = clock.clock().getTime();
    for (let i = 0; i < 14; i++) await c.call('crm.contact.list', { start: -1 });
    // 10 in the burst, then 4 at 2/s.
    expect(clock.clock().getTime() - t0).toBeGreaterThanOrEqual(2000);
    fake.saturate();
    const before = fake.state.limited;
    await expect(c.call('crm.contact.list', { start: -1 })).resolves.toMatchObject({ result: [] });
    expect(fake.state.limited).toBeGreaterThan(before);
  });

  it('batch: prefixed keys, $result references, [] for empty maps, past 50 refused', async () => {
    fake.put('contact', { NAME: 'A' }, '1');
    const r = await client(fake.webhookUrl).batch({
      c1: ['crm.contact.list', { filter: { '>ID': 0 }, select: ['ID'], start: -1 }],
      c2: ['crm.contact.get', { id: '$result[c1][0][ID]' }],
      c3: ['crm.contact.get', { id: 99999 }],
    });
    expect(r.result.c2).toMatchObject({ ID: '1', NAME: 'A' });
    expect(r.errors.c3).toMatchObject({ error: '', error_description: 'Not found' });
    await expect(
      client(fake.webhookUrl).batch(
        Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, ['user.get', {}]])),
      ),
    ).rejects.toThrow(/at most 50/);
  });
});

describe.each(backends())('Bitrix24 connector on %s', (backend) => {
  let ctx: TestContext;
  let fake: Bitrix24Fake;
  const clock = manualClock(new Date('2026-11-20T09:00:00Z'));

  beforeAll(async () => {
    fake = await startBitrix24Fake({ clock: () => ctx?.clock.clock() ?? clock.clock() });
    ctx = await createTestContext(backend, {
      managers: [
        { login: 'ivanov', name: 'Иван Иванов', email: 'ivan@company.ru' },
        { login: 'petrova', name: 'Мария Петрова' },
        { login: 'head', name: 'Анна Руководитель' },
      ],
      crm: {
        bitrix24: {
          webhookUrl: fake.webhookUrl,
          applicationToken: TOKEN,
          leadSources: { webform: 'WEB', email: 'EMAIL', telephony: 'CALL' },
          users: { '7': 'petrova' },
          imAccounts: { telegram: ['bot'], vk: ['club'] },
        },
      },
      outbox: { retryBaseMs: 1000 },
    });
    const list = json('crm.contact.list.json').result[0];
    fake.users.push(json('user.get.json').result[0]);
    fake.put(
      'company',
      { TITLE: 'ООО Ромашка', ASSIGNED_BY_ID: '6', DATE_MODIFY: '2026-11-19T10:00:00+03:00' },
      '12',
    );
    fake.put('contact', { ...list, DATE_MODIFY: '2026-11-19T10:04:11+03:00' }, '75');
    fake.put(
      'deal',
      { ...json('crm.deal.get.json').result, CONTACT_ID: '75', DATE_MODIFY: '2026-11-19T10:20:30+03:00' },
      '410',
    );
    fake.dealContacts.set('410', [{ CONTACT_ID: 75, IS_PRIMARY: 'Y' }]);
  });
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  const b24 = () => ctx.bitrix24!;
  const event = (name: string, id: string, token = TOKEN, account = 'main') =>
    ctx.app.request(`/webhooks/bitrix24/${account}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fake.eventForm(name, id, token),
    });

  it('full load: contacts, companies, deals with phones, emails, responsible, stage semantics', async () => {
    await b24().sync.runOnce();
    const [contact] = await ctx.db.sql<
      { id: string; name: string; status: string; responsible: string; company: string }[]
    >`
      SELECT c.id, c.name, c.status, c.responsible, co.name AS company FROM contacts c
      LEFT JOIN companies co ON co.id = c.company_id WHERE c.external_id = 'bitrix24:75'`;
    expect(contact).toMatchObject({
      name: 'Anna Ilina',
      status: 'client',
      responsible: 'ivanov',
      company: 'ООО Ромашка',
    });
    const ids = await ctx.db.sql<{ kind: string; value: string }[]>`
      SELECT kind, value FROM identities WHERE contact_id = ${contact!.id} ORDER BY kind`;
    expect(ids).toEqual([
      { kind: 'email', value: 'anna@example.ru' },
      { kind: 'phone', value: '+79161234567' },
    ]);
    const [deal] = await ctx.db
      .sql`SELECT status, stage, responsible, contact_id FROM deals WHERE external_id = 'bitrix24:410'`;
    expect(deal).toMatchObject({
      status: 'active',
      stage: 'C1:PREPARATION',
      responsible: 'ivanov',
      contactId: contact!.id,
    });
  });

  it('the contact with an active deal: their next email attaches to the deal', async () => {
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'email', account: 'sales', from: { emails: ['anna@example.ru'] } }),
    );
    expect(r.body.decision).toMatchObject({ kind: 'attached_to_deal' });
    await ctx.outbox.worker.runOnce();
    // The message appears on the deal's timeline.
    expect(fake.comments.at(-1)).toMatchObject({ ENTITY_TYPE: 'deal', ENTITY_ID: 410 });
  });

  const call = (externalId: string, over: Record<string, unknown> = {}) =>
    ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({
        channel: 'phone',
        account: 'office',
        externalId,
        subject: undefined,
        text: undefined,
        from: { phones: ['+7 916 123-45-67'] },
        call: {
          state: 'answered',
          dialled: '8 (495) 123-45-67',
          waitSeconds: 4,
          talkSeconds: 95,
          recordingUrl: 'https://pbx.example/rec/c-1.mp3',
        },
        ...over,
      }),
    );
  const sameShape = (sent: Record<string, unknown>, documented: Record<string, unknown>, extra: string[]) => {
    for (const [key, value] of Object.entries(sent)) {
      if (extra.includes(key)) continue;
      expect(documented, key).toHaveProperty(key);
      expect(typeof value, key).toBe(typeof documented[key]);
    }
  };

  it('a call on the deal goes to the telephony log once, bound to the deal, even when finish loses its answer', async () => {
    const r = await call('pbx-c-1');
    expect(r.body.decision).toMatchObject({ kind: 'attached_to_deal' });
    const [row] = await ctx.db.sql<{ id: string }[]>`SELECT id FROM calls WHERE call_key = 'pbx-c-1'`;
    const comments = fake.comments.length;
    fake.state.dropNextAnswerOf = 'telephony.externalcall.finish';
    await ctx.outbox.worker.runOnce();
    const pending = await ctx.db.sql<{ status: string; attempts: number }[]>`
      SELECT status, attempts FROM outbox WHERE subscriber = 'bitrix24' AND type = 'call.ended'
        AND payload->'data'->>'callId' = ${row!.id}`;
    expect(pending).toEqual([{ status: 'pending', attempts: 1 }]);
    ctx.clock.advance(1_000);
    await ctx.outbox.worker.runOnce();

    const registered = [...fake.externalCalls.values()].filter(
      (c) => c.register.EXTERNAL_CALL_ID === row!.id,
    );
    expect(registered).toHaveLength(1);
    expect(fake.calls.filter((c) => c.method === 'telephony.externalcall.register')).toHaveLength(1);
    const logged = registered[0]!;
    expect(logged.register).toMatchObject({
      USER_ID: 1,
      PHONE_NUMBER: '+79161234567',
      TYPE: 2,
      CRM_CREATE: 0,
      CRM_ENTITY_TYPE: 'DEAL',
      CRM_ENTITY_ID: 410,
      LINE_NUMBER: '+74951234567',
      EXTERNAL_CALL_ID: row!.id,
    });
    expect(new Date(String(logged.register.CALL_START_DATE)).toString()).not.toBe('Invalid Date');
    expect(logged.finish).toMatchObject({ DURATION: 95, STATUS_CODE: '200' });
    expect(logged.record).toMatchObject({
      RECORD_URL: 'https://pbx.example/rec/c-1.mp3',
      FILENAME: `${row!.id}.mp3`,
    });
    // The requests have the reference's field names and JSON types (fixtures/bitrix24/telephony.*.request.json).
    sameShape(logged.register, json('telephony.externalcall.register.request.json'), [
      'CRM_ENTITY_TYPE',
      'CRM_ENTITY_ID',
    ]);
    sameShape(logged.finish!, json('telephony.externalcall.finish.request.json'), []);
    // The call is in the telephony log, not a second time as a comment.
    expect(fake.comments.length).toBe(comments);
    const [delivered] = await ctx.db.sql`
      SELECT o.status, b.mode, b.finished_at IS NOT NULL AS finished, b.record_attached_at IS NOT NULL AS record
      FROM outbox o JOIN bitrix24_calls b ON b.call_id::text = o.payload->'data'->>'callId'
      WHERE o.subscriber = 'bitrix24' AND o.type = 'call.ended' AND b.call_id = ${row!.id}`;
    expect(delivered).toEqual({ status: 'delivered', mode: 'telephony', finished: true, record: true });
  });

  it('a call from a new number: a CALL lead in Bitrix24, and the call registered on that lead', async () => {
    const r = await call('pbx-c-3', { from: { phones: ['+7 916 555-00-11'] } });
    expect(r.body.decision).toMatchObject({ kind: 'new_lead' });
    await ctx.outbox.worker.runOnce();
    const lead = [...fake.tables.lead.values()].find((l) => l.ORIGIN_ID === r.body.decision.leadId)!;
    expect(lead).toMatchObject({ SOURCE_ID: 'CALL' });
    const [row] = await ctx.db.sql<{ id: string }[]>`SELECT id FROM calls WHERE call_key = 'pbx-c-3'`;
    const logged = [...fake.externalCalls.values()].find((c) => c.register.EXTERNAL_CALL_ID === row!.id);
    expect(logged?.register).toMatchObject({ CRM_ENTITY_TYPE: 'LEAD', CRM_ENTITY_ID: Number(lead.ID) });
    expect(logged?.finish).toMatchObject({ STATUS_CODE: '200' });
  });

  it('a portal that keeps telephony to apps: the call becomes a timeline comment on the deal', async () => {
    fake.state.telephonyAppOnly = true;
    try {
      await call('pbx-c-2', { call: { state: 'missed', waitSeconds: 20 } });
      await ctx.outbox.worker.runOnce();
      expect(fake.comments.at(-1)).toMatchObject({
        ENTITY_TYPE: 'deal',
        ENTITY_ID: 410,
        COMMENT: 'Пропущенный входящий звонок +79161234567',
      });
      const [b] = await ctx.db.sql`
        SELECT b.mode FROM bitrix24_calls b JOIN calls c ON c.id = b.call_id WHERE c.call_key = 'pbx-c-2'`;
      expect(b).toEqual({ mode: 'comment' });
    } finally {
      fake.state.telephonyAppOnly = false;
    }
  });

  it('incremental pull: only modified records, from the cursor minus 120 s', async () => {
    ctx.clock.advance(60_000);
    fake.tables.deal.get('410')!.STAGE_SEMANTIC_ID = 'S';
    fake.tables.deal.get('410')!.STAGE_ID = 'C1:WON';
    fake.tables.deal.get('410')!.DATE_MODIFY = '2026-11-20T12:01:00+03:00';
    fake.calls.length = 0;
    await b24().sync.runOnce();
    const dealList = fake.calls.find((c) => c.method === 'crm.deal.list')!;
    expect((dealList.params.filter as Record<string, string>)['>=DATE_MODIFY']).toBe(
      '2026-11-19T07:18:30.000Z',
    );
    expect(dealList.params.start).toBe(-1);
    const [deal] = await ctx.db.sql`SELECT status, stage FROM deals WHERE external_id = 'bitrix24:410'`;
    expect(deal).toMatchObject({ status: 'won', stage: 'C1:WON' });
  });

  it('paging by ID keyset: 120 new contacts in three pages', async () => {
    for (let i = 0; i < 120; i++)
      fake.put(
        'contact',
        {
          NAME: `Клиент ${i}`,
          PHONE: [{ VALUE: `+7916${String(5000000 + i)}`, VALUE_TYPE: 'WORK' }],
          DATE_MODIFY: '2026-11-20T12:05:00+03:00',
        },
        String(2000 + i),
      );
    fake.calls.length = 0;
    await b24().sync.runOnce();
    // One plain page, then the rest 50 pages to a batch, each `>ID` the last ID of the page before it; the
    // pages after the first short one are not read.
    const lists = fake.calls.filter((c) => c.method === 'crm.contact.list');
    const contactBatches = fake.calls.filter(
      (c) =>
        c.method === 'batch' &&
        Object.values(c.params.cmd as Record<string, string>).some((q) => q.startsWith('crm.contact.list')),
    );
    expect(contactBatches).toHaveLength(1);
    expect((lists[0]!.params.filter as Record<string, unknown>)['>ID']).toBe(0);
    const afterId = (n: number) => Number((lists[n]!.params.filter as Record<string, unknown>)['>ID']);
    expect(afterId(1)).toBeGreaterThanOrEqual(2048);
    expect(afterId(2)).toBe(afterId(1) + 50);
    const [n] = await ctx.db.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM contacts WHERE external_id LIKE 'bitrix24:2%'`;
    expect(n!.n).toBe(120);
  });

  it('IM multi-fields: Telegram and VK ids and a WhatsApp number become identities; the rest is kept', async () => {
    fake.put(
      'contact',
      {
        NAME: 'Олег',
        DATE_MODIFY: '2026-11-20T12:30:00+03:00',
        IM: [
          { VALUE: '123456789', VALUE_TYPE: 'TELEGRAM' },
          { VALUE: '@oleg_tg', VALUE_TYPE: 'TELEGRAM' },
          { VALUE: 'https://vk.com/id777', VALUE_TYPE: 'VK' },
          { VALUE: '+7 916 222-33-44', VALUE_TYPE: 'WHATSAPP' },
          { VALUE: 'oleg.skype', VALUE_TYPE: 'SKYPE' },
        ],
      },
      '3000',
    );
    fake.put(
      'deal',
      { TITLE: 'Витрины', STAGE_ID: 'NEW', STAGE_SEMANTIC_ID: 'P', DATE_MODIFY: '2026-11-20T12:30:00+03:00' },
      '420',
    );
    fake.dealContacts.set('420', [{ CONTACT_ID: 3000, IS_PRIMARY: 'Y' }]);
    await b24().sync.runOnce();
    const [contact] = await ctx.db.sql<
      { id: string }[]
    >`SELECT id FROM contacts WHERE external_id = 'bitrix24:3000'`;
    const ids = await ctx.db.sql<{ kind: string; value: string }[]>`
      SELECT kind, value FROM identities WHERE contact_id = ${contact!.id} ORDER BY kind, value`;
    expect(ids).toEqual([
      { kind: 'phone', value: '+79162223344' },
      { kind: 'telegram', value: 'bot:123456789' },
      { kind: 'vk', value: 'club:777' },
    ]);
    const [kept] = await ctx.db.sql<{ im: { VALUE: string }[] }[]>`
      SELECT im FROM bitrix24_records WHERE entity = 'contact' AND b24_id = 3000`;
    expect(kept!.im.map((i) => i.VALUE)).toEqual(['@oleg_tg', 'oleg.skype']);
    // The next Telegram message from that id attaches to the contact's deal.
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'telegram', account: 'bot', from: { userId: '123456789' } }),
    );
    expect(r.body.decision).toMatchObject({ kind: 'attached_to_deal' });
  });

  it('a lead from VK carries the VK id as IM in crm.lead.add', async () => {
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ channel: 'vk', account: 'club', from: { name: 'Вера', userId: '888' } }),
    );
    expect(r.body.decision).toMatchObject({ kind: 'new_lead' });
    await ctx.outbox.worker.runOnce();
    const lead = [...fake.tables.lead.values()].find((l) => l.ORIGIN_ID === r.body.decision.leadId);
    expect(lead?.IM).toEqual([expect.objectContaining({ VALUE: '888', VALUE_TYPE: 'VK' })]);
  });

  it('events: a forged token or an unknown account is refused and stores nothing', async () => {
    expect((await event('ONCRMCONTACTUPDATE', '75', 'forged-token-000000')).status).toBe(401);
    expect((await event('ONCRMCONTACTUPDATE', '75', TOKEN, 'other')).status).toBe(404);
    const bad = await ctx.app.request('/webhooks/bitrix24/main', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `event=DROP%20TABLE&auth%5Bapplication_token%5D=${TOKEN}`,
    });
    expect(bad.status).toBe(400);
    const [n] = await ctx.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM bitrix24_hints`;
    expect(n!.n).toBe(0);
  });

  it('events are hints: answered 200, the record re-read and applied if newer; a stale version is not', async () => {
    fake.tables.contact.get('75')!.NAME = 'Анна';
    fake.tables.contact.get('75')!.DATE_MODIFY = '2026-11-20T12:10:00+03:00';
    const res = await event('ONCRMCONTACTUPDATE', '75');
    expect(res.status).toBe(200);
    await b24().sync.processHints();
    const name = async () =>
      (await ctx.db.sql<{ name: string }[]>`SELECT name FROM contacts WHERE external_id = 'bitrix24:75'`)[0]!
        .name;
    expect(await name()).toBe('Анна Ilina');
    // A late read of an older version changes nothing.
    fake.tables.contact.get('75')!.NAME = 'Old';
    fake.tables.contact.get('75')!.DATE_MODIFY = '2026-11-20T12:09:00+03:00';
    await event('ONCRMCONTACTUPDATE', '75');
    await b24().sync.processHints();
    expect(await name()).toBe('Анна Ilina');
  });

  it('deletions: by event, and by the reconciliation diff', async () => {
    fake.tables.deal.delete('410');
    await event('ONCRMDEALDELETE', '410');
    await b24().sync.processHints();
    expect(await ctx.db.sql`SELECT 1 FROM deals WHERE external_id = 'bitrix24:410'`).toHaveLength(0);
    fake.tables.contact.delete('2000'); // no event arrives (they are never resent)
    expect(await b24().sync.reconcile('contact')).toBe(1);
    expect(await ctx.db.sql`SELECT 1 FROM contacts WHERE external_id = 'bitrix24:2000'`).toHaveLength(0);
  });

  it('a new lead becomes one Bitrix24 lead even when the first answer is lost', async () => {
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { name: 'Пётр', phones: ['+7 903 111-22-33'] } }),
    );
    const leadId = r.body.decision.leadId as string;
    fake.state.dropNextAnswerOf = 'crm.lead.add';
    await ctx.outbox.worker.runOnce();
    const row = (
      await ctx.request('GET', '/api/v1/outbox?subscriber=bitrix24&status=pending')
    ).body.items.find((i: { type: string }) => i.type === 'lead.created');
    expect(row).toMatchObject({ type: 'lead.created', attempts: 1 });
    ctx.clock.advance(1_000);
    await ctx.outbox.worker.runOnce();
    const leads = [...fake.tables.lead.values()].filter((l) => l.ORIGIN_ID === leadId);
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({
      SOURCE_ID: 'WEB',
      STATUS_ID: 'NEW',
      ORIGINATOR_ID: 'switchboard',
      ASSIGNED_BY_ID: '7',
      NAME: 'Пётр',
    });
    expect(leads[0]!.PHONE).toEqual([expect.objectContaining({ VALUE: '+79031112233' })]);
    // The writer's request has the documented shape (fixtures/bitrix24/crm.lead.add.request.json, reference §5):
    // `{fields, params}`, each field one the reference names, with the reference's JSON type.
    const documented = json('crm.lead.add.request.json') as {
      fields: Record<string, unknown>;
      params: Record<string, unknown>;
    };
    const sent = fake.calls.filter(
      (c) => c.method === 'crm.lead.add' && (c.params.fields as Record<string, unknown>).ORIGIN_ID === leadId,
    );
    expect(sent.length).toBeGreaterThan(0);
    for (const { params } of sent) {
      expect(Object.keys(params).sort()).toEqual(Object.keys(documented).sort());
      expect(params.params).toEqual(documented.params);
      for (const [key, value] of Object.entries(params.fields as Record<string, unknown>)) {
        expect(documented.fields, key).toHaveProperty(key);
        expect(Array.isArray(value) ? 'array' : typeof value, key).toBe(
          Array.isArray(documented.fields[key]) ? 'array' : typeof documented.fields[key],
        );
      }
      const phone = (params.fields as { PHONE: Record<string, unknown>[] }).PHONE[0]!;
      expect(Object.keys(phone).sort()).toEqual(
        Object.keys((documented.fields.PHONE as Record<string, unknown>[])[0]!).sort(),
      );
    }
    const [link] = await ctx.db.sql<
      { b24Id: string }[]
    >`SELECT b24_id::text AS b24_id FROM bitrix24_leads WHERE lead_id = ${leadId}`;
    expect(link!.b24Id).toBe(leads[0]!.ID);
  });

  it('status changes flow both ways, without echo', async () => {
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { phones: ['+7 903 111-22-44'] } }),
    );
    const leadId = r.body.decision.leadId as string;
    await ctx.outbox.worker.runOnce();
    const b24Lead = [...fake.tables.lead.values()].find((l) => l.ORIGIN_ID === leadId)!;
    // Taken into work in Bitrix24 -> in_progress here, the SLA clock stops.
    ctx.clock.advance(60_000);
    b24Lead.STATUS_ID = 'IN_PROCESS';
    b24Lead.DATE_MODIFY = new Date(ctx.clock.clock()).toISOString();
    expect((await event('ONCRMLEADUPDATE', b24Lead.ID)).status).toBe(200);
    await b24().sync.processHints();
    const lead = (await ctx.request('GET', `/api/v1/leads/${leadId}`)).body;
    expect(lead.status).toBe('in_progress');
    expect(lead.takenAt).not.toBeNull();
    const echo = await ctx.db
      .sql`SELECT 1 FROM outbox WHERE subscriber = 'bitrix24' AND type = 'lead.updated' AND payload->'data'->>'leadId' = ${leadId}`;
    expect(echo).toHaveLength(0);
    // Junked in Switchboard -> JUNK in Bitrix24.
    await ctx.request('PATCH', `/api/v1/leads/${leadId}`, { status: 'junk' });
    await ctx.outbox.worker.runOnce();
    expect(fake.tables.lead.get(b24Lead.ID)!.STATUS_ID).toBe('JUNK');
  });
});

describe.each(backends())('Bitrix24 full load of 10,000 contacts on %s', (backend) => {
  let ctx: TestContext;
  let fake: Bitrix24Fake;
  const N = 10_000;

  beforeAll(async () => {
    fake = await startBitrix24Fake({ clock: () => ctx?.clock.clock() ?? new Date('2026-11-20T09:00:00Z') });
    ctx = await createTestContext(backend, {
      crm: {
        bitrix24: { webhookUrl: fake.webhookUrl, applicationToken: TOKEN, imAccounts: { telegram: ['bot'] } },
      },
    });
    for (let i = 0; i < N; i++)
      fake.put(
        'contact',
        {
          NAME: `Клиент ${i}`,
          DATE_MODIFY: '2026-11-19T10:00:00+03:00',
          PHONE: [{ VALUE: `+7917${String(1_000_000 + i)}`, VALUE_TYPE: 'MOBILE' }],
          EMAIL: [{ VALUE: `c${i}@example.ru`, VALUE_TYPE: 'WORK' }],
          IM: [{ VALUE: String(700_000_000 + i), VALUE_TYPE: 'TELEGRAM' }],
        },
        String(10_000 + i),
      );
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
    await fake?.close();
  });

  it('a handful of requests (batches of 50 pages); a load cut short resumes at its last committed page', async () => {
    // The portal stops answering after the first contact batch: 2,550 contacts are committed, with their position.
    const before = fake.state.requests;
    fake.state.operationLimitAfter = before + 4; // user.get, companies, the first contact page, one batch
    await expect(ctx.bitrix24!.sync.runOnce()).rejects.toThrow(/OPERATION_TIME_LIMIT/);
    const [cut] = await ctx.db.sql<{ lastId: string; fullLoadDone: boolean }[]>`
      SELECT last_id::text AS last_id, full_load_done FROM bitrix24_cursors WHERE entity = 'contact'`;
    expect(cut).toEqual({ lastId: String(10_000 + 2_549), fullLoadDone: false });
    const [partial] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM contacts WHERE external_id LIKE 'bitrix24:%'`;
    expect(partial!.n).toBe(2_550);

    fake.state.operationLimitAfter = undefined;
    fake.calls.length = 0;
    const resumedAt = fake.state.requests;
    await ctx.bitrix24!.sync.runOnce();
    const contactRequests = fake.calls.filter(
      (c) =>
        c.method === 'crm.contact.list' ||
        (c.method === 'batch' &&
          Object.values(c.params.cmd as Record<string, string>).some((q) =>
            q.startsWith('crm.contact.list'),
          )),
    );
    // The rest (7,450 contacts, 149 pages) is one plain page and 3 batches, starting past the committed page.
    expect(contactRequests.filter((c) => c.method === 'batch')).toHaveLength(3);
    const firstList = fake.calls.find((c) => c.method === 'crm.contact.list')!;
    expect((firstList.params.filter as Record<string, unknown>)['>ID']).toBe(10_000 + 2_549);
    expect(fake.state.requests - resumedAt).toBeLessThan(12);
    expect(fake.state.limited).toBe(0);
    const [n] = await ctx.db.sql<{ contacts: number; identities: number; audit: number }[]>`
      SELECT (SELECT count(*)::int FROM contacts WHERE external_id LIKE 'bitrix24:%') AS contacts,
             (SELECT count(*)::int FROM identities WHERE source = 'crm') AS identities,
             (SELECT count(*)::int FROM audit_log WHERE action = 'contact.created') AS audit`;
    expect(n).toEqual({ contacts: N, identities: 3 * N, audit: N });
    const [last] = await ctx.db.sql`
      SELECT c.name, array_agg(i.kind || ' ' || i.value ORDER BY i.kind) AS ids
      FROM contacts c JOIN identities i ON i.contact_id = c.id WHERE c.external_id = 'bitrix24:19999' GROUP BY c.name`;
    expect(last).toEqual({
      name: 'Клиент 9999',
      ids: ['email c9999@example.ru', 'phone +79171009999', 'telegram bot:700009999'],
    });
  }, 180_000);
});
