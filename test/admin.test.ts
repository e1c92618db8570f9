import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelContext, type ChannelModule, defineChannel } from '../src/channels/channel.js';
import { CHANNELS } from '../src/channels/index.js';
import type { InboundCommunication } from '../src/core/communication.js';
import { NUMBERING_PLAN_HEADER } from '../src/geo/index.js';
import { createNumberingPlanService, type NumberingPlanService } from '../src/geo/numbering-plan-service.js';
import { silentLogger } from '../src/observability/logger.js';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { startFakeViber } from './support/messenger-fakes.js';
import { backends } from './support/pg.js';
import { startTelegramFake } from './support/telegram-fake.js';
import { cookieJar, PASSWORD, webConfig } from './support/web.js';

const DEF = `\ufeff${NUMBERING_PLAN_HEADER}\n900;3200000;3299999;100000;ООО "Т2 МОБАЙЛ";-;Республика Татарстан;7743895280`;
const VIBER_TOKEN = 'viber-admin-token-0123456789';
const TELEGRAM_TOKEN = '7000000009:AAE-admin-page-bot-token';
type FakeViber = Awaited<ReturnType<typeof startFakeViber>>;

/**
 * A channel whose normalizer refuses payloads until the test "deploys the fix": an event stored while it is
 * broken is dead at once, and a retry after the fix really processes it.
 */
const flaky = { fixed: false };
const flakyChannel = defineChannel({
  name: 'flaky',
  create: (_ctx: ChannelContext): ChannelModule => ({
    name: 'flaky',
    accounts: ['main'],
    normalize: (payload) => {
      const p = payload as { id: string; phone: string };
      if (!flaky.fixed) return { ok: false, error: 'unknown payload version 7' };
      const comm: InboundCommunication = {
        kind: 'message',
        channel: 'webform',
        account: 'main',
        externalId: p.id,
        direction: 'in',
        occurredAt: new Date('2026-11-20T09:30:00Z'),
        party: { name: 'Повтор Повторов', identities: [{ kind: 'phone', value: p.phone }], hints: [] },
        threadKey: `flaky:${p.id}`,
        text: 'Заявка из нового формата',
      };
      return { ok: true, communications: [comm] };
    },
  }),
});

describe.each(backends())('admin pages and API (%s)', (backend) => {
  let ctx: TestContext;
  let viber: FakeViber;
  let telegram: Awaited<ReturnType<typeof startTelegramFake>>;
  let planDir: string;
  let plan: NumberingPlanService;

  beforeAll(async () => {
    viber = await startFakeViber(VIBER_TOKEN);
    telegram = await startTelegramFake([TELEGRAM_TOKEN]);
    planDir = await mkdtemp(path.join(tmpdir(), 'sb-admin-plan-'));
    plan = createNumberingPlanService({
      dir: planDir,
      log: silentLogger,
      refreshHours: 0,
      download: { baseUrl: 'http://127.0.0.1:1/', userAgent: 'test' },
    });
    await plan.load();
    ctx = await createTestContext(
      backend,
      await webConfig({
        channels: {
          viber: [{ account: 'shop', token: VIBER_TOKEN, senderName: 'Мебель-Фабрика', apiRoot: viber.url }],
          telegram: [
            {
              account: 'shop_bot',
              token: TELEGRAM_TOKEN,
              secret: 'admin-page-secret-1',
              transport: 'webhook',
              apiRoot: telegram.url,
            },
          ],
        },
        telephony: { megafon: [{ account: 'main', crmToken: 'megafon-crm-token-1' }] },
      }),
      { channels: [...CHANNELS, flakyChannel], numberingPlan: plan },
    );
  });
  afterAll(async () => {
    await ctx?.close();
    await viber?.close();
    await telegram?.close();
    if (planDir) await rm(planDir, { recursive: true, force: true });
  });

  async function signIn(login: string) {
    const jar = cookieJar();
    const res = await ctx.app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ login, password: PASSWORD, next: '/' }).toString(),
    });
    expect(res.status).toBe(303);
    jar.store(res);
    const page = async (p: string, init: RequestInit = {}) => {
      const r = await ctx.app.request(p, {
        ...init,
        headers: { cookie: jar.header(), accept: 'text/html', ...(init.headers ?? {}) },
      });
      jar.store(r);
      return r;
    };
    const csrf = async () => {
      const html = await (await page('/')).text();
      return /name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    };
    const post = async (p: string, form: Record<string, string> = {}) =>
      page(p, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
        body: new URLSearchParams({ _csrf: await csrf(), ...form }).toString(),
      });
    return { page, post, csrf };
  }

  async function storeDeadEvent(id: string, phone: string) {
    flaky.fixed = false;
    const [row] = await ctx.db.sql<{ id: string }[]>`
      INSERT INTO inbound_events (source, account, external_id, payload)
      VALUES ('flaky', 'main', ${id}, ${ctx.db.sql.json({ id, phone })}) RETURNING id`;
    expect(await ctx.processor.process(row!.id)).toMatchObject({ status: 'dead' });
    return row!.id;
  }

  it('refuses /admin and its actions to managers and supervisors with the Russian 403 page', async () => {
    for (const login of ['petrova', 'head']) {
      const s = await signIn(login);
      for (const p of [
        '/admin',
        '/admin/numbering',
        '/admin/simulator',
        '/admin/teams',
        '/admin/audit',
        '/admin/inbound',
      ]) {
        const res = await s.page(p);
        expect(res.status, `${login} ${p}`).toBe(403);
        expect(await res.text()).toContain('только администраторам');
      }
      const id = await storeDeadEvent(`perm-${login}`, freshPhone());
      expect((await s.post(`/admin/inbound/${id}/retry`)).status).toBe(403);
      expect((await s.post('/admin/inbound/retry')).status).toBe(403);
      expect((await s.post('/admin/channels/viber/shop/connect')).status).toBe(403);
      expect((await s.post('/admin/numbering/reload')).status).toBe(403);
      const [event] = await ctx.db.sql<
        { status: string }[]
      >`SELECT status FROM inbound_events WHERE id = ${id}`;
      expect(event!.status).toBe('dead');
      expect(viber.http.requests.filter((r) => r.path === '/pa/set_webhook')).toHaveLength(0);
      // The header shows no admin link to them.
      expect(await (await s.page('/')).text()).not.toContain('href="/admin"');
    }
    // Anonymous: sent to sign in; the API without a token: 401.
    expect((await ctx.app.request('/admin', { headers: { accept: 'text/html' } })).status).toBe(303);
    for (const p of ['/api/v1/channels', '/api/v1/numbering-plan', '/api/v1/audit'])
      expect((await ctx.request('GET', p, undefined, { token: null })).status).toBe(401);
  });

  it('lists every channel account with its state, webhook URL and what can be connected', async () => {
    const api = await ctx.request('GET', '/api/v1/channels');
    expect(api.status).toBe(200);
    const byKey = new Map(
      (api.body.accounts as { channel: string; account: string }[]).map((a) => [
        `${a.channel}/${a.account}`,
        a,
      ]),
    );
    expect(byKey.get('viber/shop')).toMatchObject({
      state: 'waiting',
      webhookUrl: 'http://127.0.0.1:8080/webhooks/viber/shop',
      connectable: true,
      lastError: null,
    });
    expect(byKey.get('megafon/main')).toMatchObject({
      webhookUrl: 'http://127.0.0.1:8080/webhooks/megafon/main',
      connectable: false,
    });
    // Never a secret: neither the Viber token nor the PBX's CRM key appears anywhere.
    expect(JSON.stringify(api.body)).not.toMatch(/viber-admin-token|megafon-crm-token/);

    const s = await signIn('admin');
    const html = await (await s.page('/admin')).text();
    expect(html).toContain('Viber');
    expect(html).toContain('http://127.0.0.1:8080/webhooks/viber/shop');
    expect(html).toContain('ждёт первого события');
    expect(html).not.toContain(VIBER_TOKEN);
  });

  it('«Подключить» registers the webhook with the provider (the loopback Viber records it), also through the API', async () => {
    const s = await signIn('admin');
    const before = viber.http.requests.filter((r) => r.path === '/pa/set_webhook').length;
    const res = await s.post('/admin/channels/viber/shop/connect');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Провайдер принял регистрацию');
    const calls = viber.http.requests.filter((r) => r.path === '/pa/set_webhook');
    expect(calls).toHaveLength(before + 1);
    expect(JSON.parse(calls.at(-1)!.body)).toMatchObject({
      url: 'http://127.0.0.1:8080/webhooks/viber/shop',
    });
    expect(calls.at(-1)!.headers['x-viber-auth-token']).toBe(VIBER_TOKEN);

    const api = await ctx.request('POST', '/api/v1/channels/viber/shop/connect');
    expect(api.status).toBe(200);
    expect(api.body.ok).toBe(true);
    expect(viber.http.requests.filter((r) => r.path === '/pa/set_webhook')).toHaveLength(before + 2);
    // Telegram registers through its channel definition (setWebhook with the secret); the page shows the answer.
    const tg = await s.post('/admin/channels/telegram/shop_bot/connect');
    expect(tg.status).toBe(200);
    const tgPage = await tg.text();
    expect(tgPage).toContain('Провайдер принял регистрацию');
    expect(tgPage).not.toMatch(/admin-page-secret-1|AAE-admin-page-bot-token/);
    const [set] = telegram.callsOf('setWebhook');
    expect(set).toMatchObject({
      token: TELEGRAM_TOKEN,
      body: { url: 'http://127.0.0.1:8080/webhooks/telegram/shop_bot', secret_token: 'admin-page-secret-1' },
    });
    // Nothing to register for a PBX; an unknown channel is a 404.
    expect((await s.post('/admin/channels/megafon/main/connect')).status).toBe(404);
    expect((await ctx.request('POST', '/api/v1/channels/fax/main/connect')).status).toBe(404);
  });

  it('retrying a dead event really processes it again (one, from the page; all, through the API)', async () => {
    const phone = freshPhone();
    const id = await storeDeadEvent(`dead-${phone}`, phone);
    const s = await signIn('admin');
    const list = await (await s.page('/admin/inbound')).text();
    expect(list).toContain('unknown payload version 7');
    expect(list).toContain(`/admin/inbound/${id}`);
    // The list never shows the payload; its page does, for an admin.
    expect(list).not.toContain(phone);
    expect(await (await s.page(`/admin/inbound/${id}`)).text()).toContain(phone);
    expect((await (await signIn('petrova')).page(`/admin/inbound/${id}`)).status).toBe(403);

    flaky.fixed = true;
    const retried = await s.post(`/admin/inbound/${id}/retry`);
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe('/admin/inbound?retried=one');
    const [event] = await ctx.db.sql<{ status: string; decision: { kind: string; leadId: string }[] }[]>`
      SELECT status, decision FROM inbound_events WHERE id = ${id}`;
    expect(event!.status).toBe('processed');
    expect(event!.decision[0]!.kind).toBe('new_lead');
    const [lead] = await ctx.db.sql`SELECT id FROM leads WHERE id = ${event!.decision[0]!.leadId}`;
    expect(lead).toBeDefined();
    const [trail] = await ctx.db.sql<{ actor: string }[]>`
      SELECT actor FROM audit_log WHERE action = 'inbound_event.retry' AND entity_id = ${id}`;
    expect(trail!.actor).toBe('web:admin');

    const a = await storeDeadEvent(`dead-a-${phone}`, freshPhone());
    const b = await storeDeadEvent(`dead-b-${phone}`, freshPhone());
    flaky.fixed = true;
    const all = await ctx.request('POST', '/api/v1/inbound-events/retry', {});
    expect(all.status).toBe(200);
    expect(all.body.processed).toBeGreaterThanOrEqual(2);
    const statuses = await ctx.db.sql<{ status: string }[]>`
      SELECT status FROM inbound_events WHERE id IN (${a}, ${b})`;
    expect(statuses.map((r) => r.status)).toEqual(['processed', 'processed']);
    // Without a body: failed and dead ones (none left); a status that cannot be retried is a 400.
    expect((await ctx.request('POST', '/api/v1/inbound-events/retry')).body).toMatchObject({ retried: 0 });
    expect(
      (await ctx.request('POST', '/api/v1/inbound-events/retry', { statuses: ['processed'] })).status,
    ).toBe(400);
    const one = await ctx.request('GET', `/api/v1/inbound-events/${a}`);
    expect(one.body).toMatchObject({ status: 'processed', source: 'flaky' });
  });

  it('numbering plan: an upload is validated (clear Russian errors), installed and changes the state', async () => {
    const s = await signIn('admin');
    expect(await (await s.page('/admin/numbering')).text()).toContain('не загружен');
    const api0 = await ctx.request('GET', '/api/v1/numbering-plan');
    expect(api0.body).toMatchObject({ state: 'missing', files: [], source: { dir: planDir } });

    const upload = async (name: string, content: string) => {
      const form = new FormData();
      form.set('_csrf', await s.csrf());
      form.set('file', new File([content], name, { type: 'text/csv' }));
      return s.page('/admin/numbering/upload', {
        method: 'POST',
        body: form,
        headers: { origin: 'http://localhost' },
      });
    };
    const badName = await upload('numbers.csv', DEF);
    expect(badName.status).toBe(400);
    expect(await badName.text()).toContain('не похож на файл реестра');
    const badRows = await upload('DEF-9xx.csv', `${NUMBERING_PLAN_HEADER}\n900;abc`);
    expect(badRows.status).toBe(400);
    expect(await badRows.text()).toContain('не прошёл проверку');
    expect(plan.status().state).toBe('missing');

    const ok = await upload('DEF-9xx.csv', DEF);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/admin/numbering?installed=DEF-9xx.csv&rows=1');
    expect(plan.status()).toMatchObject({ state: 'loaded', files: ['DEF-9xx.csv'], ranges: 1, rows: 1 });
    const page = await (await s.page('/admin/numbering?installed=DEF-9xx.csv&rows=1')).text();
    expect(page).toContain('проверен и установлен');
    expect(page).toContain('DEF-9xx.csv');

    // The API: a broken file is a 400 naming the line, the installed one stays; reload re-reads the directory.
    const bad = await ctx.app.request('/api/v1/numbering-plan/files/DEF-9xx.csv', {
      method: 'PUT',
      headers: { authorization: `Bearer ${ctx.config.api.tokens[0]!.token}`, 'content-type': 'text/csv' },
      body: `${NUMBERING_PLAN_HEADER}\n900;abc`,
    });
    expect(bad.status).toBe(400);
    expect((await ctx.request('POST', '/api/v1/numbering-plan/reload')).body).toMatchObject({
      state: 'loaded',
      rows: 1,
    });
  });

  it('the simulator answers with a team, a manager and the reasons, and writes nothing', async () => {
    const s = await signIn('admin');
    const leads = await ctx.db.sql`SELECT count(*)::int AS n FROM leads`;
    const res = await s.post('/admin/simulator', {
      phone: freshPhone(),
      email: '',
      channel: 'email',
      text: 'Мы дилер, пришлите прайс',
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/data-testid="sim-team">Партнёры</);
    expect(html).toMatch(/data-testid="sim-manager">Иван Иванов</);
    expect(html).toContain('«partners»');
    expect(await ctx.db.sql`SELECT count(*)::int AS n FROM leads`).toEqual(leads);
    const empty = await s.post('/admin/simulator', { phone: '', email: '', channel: 'email', text: 'x' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('Укажите телефон или email');
  });

  it('teams and shifts; the audit trail filtered by actor, action and lead, paged', async () => {
    const s = await signIn('admin');
    const teams = await (await s.page('/admin/teams')).text();
    expect(teams).toContain('Партнёры');
    expect(teams).toContain('Сейчас на смене');
    expect(teams).toContain('Иван Иванов');

    const lead = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { name: 'Журнал Журналов', phones: [freshPhone()] } }),
    );
    const leadId = lead.body.decision.leadId as string;
    const byLead = await ctx.request('GET', `/api/v1/audit?entityId=${leadId}`);
    expect(byLead.body.items.map((r: { action: string }) => r.action)).toEqual(['decision.new_lead']);
    const byActor = await ctx.request(
      'GET',
      '/api/v1/audit?actor=api:crm&action=inbound_event.retry&limit=1',
    );
    expect(byActor.body.items).toHaveLength(1);
    expect(byActor.body.nextBefore).toEqual(expect.any(String));
    const page2 = await ctx.request(
      'GET',
      `/api/v1/audit?actor=api:crm&action=inbound_event.retry&limit=1&before=${byActor.body.nextBefore}`,
    );
    expect(page2.body.items[0].entityId).not.toBe(byActor.body.items[0].entityId);

    const html = await (await s.page(`/admin/audit?entity=${leadId}`)).text();
    expect(html).toContain('Новый лид');
    expect(html).toContain(`/leads/${leadId}`);
    const prefix = await (await s.page('/admin/audit?action=decision.')).text();
    expect(prefix).toContain('Новый лид');
    const bad = await s.page('/admin/audit?entity=not-an-id');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('UUID');
  });
});
