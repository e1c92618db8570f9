import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRangeIndex,
  createPhoneRegionResolver,
  loadNumberingPlan,
  NUMBERING_PLAN_HEADER,
  type PhoneRegionResolver,
  parseNumberingPlan,
} from '../src/geo/index.js';
import { silentLogger } from '../src/observability/logger.js';
import { createAssigner } from '../src/routing/assigner.js';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';

// The real registry copy beside the checkout (never committed); without it, three of its rows verbatim.
const REGISTRY_DIR = new URL('../../shared/data/rossvyaz/', import.meta.url).pathname;
const EXCERPT = [
  NUMBERING_PLAN_HEADER,
  '900;3200000;3299999;100000;ООО "Т2 МОБАЙЛ";-;Республика Татарстан;7743895280',
  '900;1400000;1599999;200000;ООО "Т2 МОБАЙЛ";-;Город Москва, Московская область;7743895280',
  '900;6200000;6599999;400000;ООО "Т2 МОБАЙЛ";-;Город Санкт-Петербург, Ленинградская область;7743895280',
].join('\n');

let phoneRegions: PhoneRegionResolver;
beforeAll(async () => {
  const index = existsSync(path.join(REGISTRY_DIR, 'DEF-9xx.csv'))
    ? (await loadNumberingPlan(REGISTRY_DIR))?.index
    : buildRangeIndex(parseNumberingPlan(EXCERPT, { source: 'excerpt' }).ranges);
  phoneRegions = createPhoneRegionResolver({ index });
});

/** A fresh number inside the real Tatarstan range 900 320xxxx (Т2), so tests sharing a database never collide. */
let tatarSeq = Math.floor(Math.random() * 9_000);
const tatarstanMobile = () => `+7900320${String(++tatarSeq % 10_000).padStart(4, '0')}`;

const routingConfig = {
  managers: [
    {
      login: 'ivanov',
      name: 'Иван Иванов',
      email: 'ivanov@mebel-fabrika.ru',
      pbxLogin: '101',
      telegramChatId: 100001,
    },
    { login: 'petrova', name: 'Мария Петрова' },
    { login: 'sidorov', name: 'Олег Сидоров' },
    { login: 'head', name: 'Анна Руководитель' },
  ],
  teams: [
    { id: 'partners', name: 'Партнёры', supervisor: 'head', members: ['ivanov'] },
    { id: 'retail', name: 'Розница', supervisor: 'head', members: ['petrova'] },
    {
      id: 'kazan',
      name: 'Казань',
      members: ['sidorov'],
      timeZone: 'Europe/Moscow',
      hours: {
        mon: ['09:00-18:00'],
        tue: ['09:00-18:00'],
        wed: ['09:00-18:00'],
        thu: ['09:00-18:00'],
        fri: ['09:00-18:00'],
      },
      capacity: 20,
    },
  ],
  routing: {
    fallbackTeam: 'retail',
    clientTypes: {
      rules: [
        { id: 'company_inn', type: 'partner', when: { hasInn: true } },
        { id: 'avito_retail', type: 'retail', when: { channels: ['avito'] } },
        { id: 'wholesale', type: 'partner', when: { keywords: ['опт', 'оптом', 'дилер*'] } },
      ],
    },
    rules: [
      { id: 'partners', when: { clientTypes: ['partner'] }, team: 'partners' },
      { id: 'kazan', when: { regions: ['RU-TA'] }, team: 'kazan' },
    ],
  },
};

describe.each(backends())('routing through the pipeline on %s', (backend) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(backend, routingConfig as never, { phoneRegions });
    ctx.clock.set(new Date('2026-11-23T08:00:00Z')); // Monday 11:00 MSK: Kazan is on shift
  });
  afterAll(() => ctx?.close());

  const send = async (overrides: Record<string, unknown>) => {
    const res = await ctx.request('POST', '/api/v1/inbound', inboundBody(overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const lead = await ctx.request('GET', `/api/v1/leads/${res.body.decision.leadId}`);
    expect(lead.status).toBe(200);
    return lead.body;
  };

  it('a Tatarstan mobile goes to the Kazan team by the numbering plan, with the whole trace on the lead', async () => {
    const lead = await send({ from: { phones: [tatarstanMobile().replace('+7', '8 ')] } });
    expect(lead).toMatchObject({ team: 'kazan', responsible: 'sidorov' });
    expect(lead.routing).toMatchObject({
      router: 'rules',
      rule: 'kazan',
      team: 'kazan',
      strategy: 'round_robin',
      chosen: 'sidorov',
      decidedAt: '2026-11-23T08:00:00.000Z',
      facts: {
        leadKind: 'new',
        channel: 'webform',
        clientType: { type: 'retail', source: 'default' },
        region: { region: 'RU-TA', federalDistrict: 'volga', source: 'numbering_plan' },
      },
      candidates: [{ manager: 'sidorov', outcome: 'chosen', why: 'next in rotation among members on shift' }],
    });
    expect(lead.routing.facts.ruleWhy).toBe('region RU-TA');
  });

  it('keywords in the first message make a partner, whatever the region', async () => {
    const lead = await send({ from: { phones: [tatarstanMobile()] }, text: 'Купим витрины оптом' });
    expect(lead).toMatchObject({ team: 'partners', responsible: 'ivanov' });
    expect(lead.routing.facts.clientType).toMatchObject({ type: 'partner', source: 'wholesale' });
  });

  it('Avito is retail even with wholesale words; an unknown region falls back', async () => {
    const lead = await send({
      channel: 'avito',
      account: 'avito-shop',
      from: { userId: `u-${freshPhone()}` },
      text: 'Оптом отдадите?',
    });
    expect(lead).toMatchObject({ team: 'retail', responsible: 'petrova' });
    expect(lead.routing).toMatchObject({
      rule: 'fallback',
      facts: { clientType: { source: 'avito_retail' }, region: { region: null, source: 'unknown' } },
    });
  });

  it('a form region wins over the phone; a channel city is used when nothing better exists', async () => {
    const form = await send({ from: { phones: [tatarstanMobile()] }, region: 'RU-SPE' });
    expect(form).toMatchObject({ team: 'retail' });
    expect(form.routing.facts.region).toMatchObject({ region: 'RU-SPE', source: 'form' });
    const vk = await send({
      channel: 'vk',
      account: 'club1',
      from: { userId: `id${freshPhone()}` },
      city: 'Набережные Челны',
    });
    expect(vk).toMatchObject({ team: 'kazan', responsible: 'sidorov' });
    expect(vk.routing.facts.region).toMatchObject({ region: 'RU-TA', source: 'channel_city' });
  });

  it('a CRM company with an INN makes a partner; the company responsible sticks', async () => {
    const email = freshEmail();
    await ctx.request('PUT', `/api/v1/companies/co-${email}`, {
      name: 'ООО Ромашка',
      inn: '1655000001',
      responsible: 'ivanov',
    });
    await ctx.request('PUT', `/api/v1/contacts/ct-${email}`, {
      emails: [email],
      companyExternalId: `co-${email}`,
    });
    // No phone: the region comes from the INN (16 = Tatarstan).
    const lead = await send({ channel: 'email', account: 'sales', from: { emails: [email] } });
    expect(lead).toMatchObject({ kind: 'repeat', team: 'partners', responsible: 'ivanov' });
    expect(lead.routing).toMatchObject({
      strategy: 'sticky',
      facts: { clientType: { source: 'company_inn' }, region: { region: 'RU-TA', source: 'inn' } },
      candidates: [{ manager: 'ivanov', outcome: 'chosen', why: 'responsible of the company' }],
    });
  });

  it('GET /api/v1/teams and /api/v1/managers show the configuration, shifts and loads', async () => {
    const teams = await ctx.request('GET', '/api/v1/teams');
    expect(teams.status).toBe(200);
    const kazan = teams.body.teams.find((t: { id: string }) => t.id === 'kazan');
    expect(kazan).toMatchObject({
      timeZone: 'Europe/Moscow',
      onShiftNow: true,
      assignment: 'round_robin',
      members: [{ login: 'sidorov', name: 'Олег Сидоров', active: true, capacity: 20 }],
    });
    expect(kazan.members[0].openLeads).toBeGreaterThanOrEqual(1);
    const managers = await ctx.request('GET', '/api/v1/managers');
    expect(managers.body.managers.find((m: { login: string }) => m.login === 'ivanov')).toMatchObject({
      email: 'ivanov@mebel-fabrika.ru',
      pbxLogin: '101',
      telegramChatId: 100001,
      teams: ['partners'],
    });
    expect(managers.body.managers.find((m: { login: string }) => m.login === 'head').supervises).toEqual([
      'partners',
      'retail',
    ]);
  });

  it('POST /api/v1/routing/simulate runs one communication under proposed rules and writes nothing', async () => {
    const counts = () =>
      ctx.db.sql`SELECT (SELECT count(*) FROM leads)::int AS l, (SELECT count(*) FROM contacts)::int AS c,
        (SELECT count(*) FROM messages)::int AS m, (SELECT count(*) FROM identities)::int AS i,
        (SELECT count(*) FROM audit_log)::int AS a,
        (SELECT coalesce(string_agg(team || ':' || coalesce(last_manager, ''), ',' ORDER BY team), '') FROM routing_team_state) AS cursors`;
    const before = await counts();
    const communication = inboundBody({ from: { phones: [tatarstanMobile()] } });
    const current = await ctx.request('POST', '/api/v1/routing/simulate', { communication });
    expect(current.status, JSON.stringify(current.body)).toBe(200);
    expect(current.body).toMatchObject({
      mode: 'communication',
      written: false,
      team: 'kazan',
      responsible: 'sidorov',
    });
    const proposed = await ctx.request('POST', '/api/v1/routing/simulate', {
      communication,
      rules: [{ id: 'volga', when: { federalDistricts: ['volga'] }, team: 'partners' }],
    });
    expect(proposed.body).toMatchObject({
      team: 'partners',
      responsible: 'ivanov',
      routing: { rule: 'volga' },
    });
    expect(await counts()).toEqual(before);
  });

  it('simulate rejects a proposal with an unknown team or region, naming the field', async () => {
    const bad = await ctx.request('POST', '/api/v1/routing/simulate', {
      days: 7,
      rules: [{ id: 'x', when: { regions: ['RU-ZZZ'] }, team: 'ghosts' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).toEqual([
      'routing.rules.0.team',
      'routing.rules.0.when.regions.0',
    ]);
    const neither = await ctx.request('POST', '/api/v1/routing/simulate', {});
    expect(neither.status).toBe(400);
  });

  it('simulate replays recent leads from their stored events against proposed rules', async () => {
    const res = await ctx.request('POST', '/api/v1/routing/simulate', {
      days: 90,
      rules: [{ id: 'partners', when: { clientTypes: ['partner'] }, team: 'partners' }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ mode: 'recent_leads', written: false });
    const kazanLeads = res.body.leads.filter(
      (l: { current: { team: string } }) => l.current.team === 'kazan',
    );
    expect(kazanLeads.length).toBeGreaterThanOrEqual(1);
    for (const l of kazanLeads) {
      expect(l).toMatchObject({ changed: true, proposed: { team: 'retail', rule: 'fallback' } });
      expect(l.facts.region.region).toBe('RU-TA');
    }
    // Channel signals are rebuilt from the stored raw event, not lost: the VK city still gives the region.
    expect(
      kazanLeads.map((l: { facts: { region: { source: string } } }) => l.facts.region.source).sort(),
    ).toEqual(expect.arrayContaining(['channel_city', 'numbering_plan']));
    const wholesale = res.body.leads.find(
      (l: { facts: { clientType: { source: string } } }) => l.facts.clientType.source === 'wholesale',
    );
    expect(wholesale).toMatchObject({ changed: false, proposed: { team: 'partners' } });
    expect(res.body.changed).toBe(res.body.leads.filter((l: { changed: boolean }) => l.changed).length);
    expect(res.body.byTeam.current.kazan).toBe(kazanLeads.length);
  });

  it('off shift the lead waits in the Kazan queue with the reason in its trace; the assigner completes the trace', async () => {
    ctx.clock.set(new Date('2026-11-28T10:00:00Z')); // Saturday
    const lead = await send({ from: { phones: [tatarstanMobile()] } });
    expect(lead).toMatchObject({ team: 'kazan', responsible: null });
    expect(lead.routing).toMatchObject({
      strategy: 'queued',
      chosen: null,
      queued: { nextShiftStart: '2026-11-30T06:00:00.000Z' },
      candidates: [{ manager: 'sidorov', outcome: 'skipped', why: 'off shift' }],
    });
    const assigner = createAssigner({
      sql: ctx.db.sql,
      config: ctx.config,
      clock: ctx.clock.clock,
      log: silentLogger,
    });
    expect((await assigner.tick()).assigned).toBe(0);
    ctx.clock.set(new Date('2026-11-30T06:00:00Z')); // Monday 09:00 MSK
    expect((await assigner.tick()).assigned).toBe(1);
    const after = (await ctx.request('GET', `/api/v1/leads/${lead.id}`)).body;
    expect(after.responsible).toBe('sidorov');
    expect(after.routing.queued).toBeUndefined();
    expect(after.routing).toMatchObject({
      rule: 'kazan',
      chosen: 'sidorov',
      assignments: [{ at: '2026-11-30T06:00:00.000Z', manager: 'sidorov', strategy: 'round_robin' }],
    });
    expect(after.trail.map((t: { action: string }) => t.action)).toEqual([
      'decision.new_lead',
      'lead.assigned',
    ]);
  });
});
