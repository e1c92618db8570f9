import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../src/config/schema.js';
import { createApp } from '../src/http/app.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createPipeline } from '../src/pipeline.js';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';
import { cookieJar, PASSWORD, webConfig } from './support/web.js';

describe.each(backends())('web app: sign-in, sessions, permissions (%s)', (backend) => {
  let ctx: TestContext;
  let partnersLead: string;
  let retailLead: string;

  beforeAll(async () => {
    ctx = await createTestContext(backend, await webConfig());
    const p = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({
        from: { name: 'Дилер Петров', phones: [freshPhone()] },
        text: 'Мы дилер, хотим прайс',
      }),
    );
    partnersLead = p.body.decision.leadId;
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({
        from: { name: 'Розничный Клиент', phones: [freshPhone()] },
      }),
    );
    retailLead = r.body.decision.leadId;
  });
  afterAll(() => ctx?.close());

  async function page(
    app: TestContext['app'],
    jar: ReturnType<typeof cookieJar>,
    path: string,
    init: RequestInit = {},
  ): Promise<Response> {
    const res = await app.request(path, {
      ...init,
      headers: { cookie: jar.header(), ...(init.headers ?? {}) },
    });
    jar.store(res);
    return res;
  }

  async function signIn(login: string, password = PASSWORD, app = ctx.app) {
    const jar = cookieJar();
    const res = await page(app, jar, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ login, password, next: '/' }).toString(),
    });
    return { jar, res };
  }
  /** A second app on the same database: what a restarted (or another) daemon is. */
  function secondApp(): TestContext['app'] {
    const metrics = createMetrics();
    const pipeline = createPipeline({
      sql: ctx.db.sql,
      config: ctx.config,
      clock: ctx.clock.clock,
      log: silentLogger,
      metrics,
      dataDir: ctx.dataDir,
    });
    return createApp({
      ...pipeline,
      sql: ctx.db.sql,
      config: ctx.config,
      metrics,
      log: silentLogger,
      clock: ctx.clock.clock,
      tokens: [],
      isAccepting: () => true,
    });
  }

  const csrfOf = (html: string) => /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';

  it('an anonymous visitor is sent to the sign-in page, which asks for «Логин» and «Пароль»', async () => {
    const res = await ctx.app.request(`/leads/${retailLead}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/leads/${retailLead}`)}`);
    const login = await ctx.app.request('/login');
    const html = await login.text();
    expect(html).toContain('Логин');
    expect(html).toContain('Пароль');
    expect(html).toContain('Войти');
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(login.headers.get('content-security-policy')).not.toContain('unsafe-inline');
  });

  it('a wrong password is refused in Russian; the right one gives an HttpOnly SameSite session cookie', async () => {
    const wrong = await signIn('petrova', 'nope');
    expect(wrong.res.status).toBe(401);
    expect(await wrong.res.text()).toContain('Неверный логин или пароль');
    const { jar, res } = await signIn('petrova');
    expect(res.status).toBe(303);
    const cookie = res.headers.getSetCookie().join('\n');
    expect(cookie).toMatch(/sb_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax/);
    expect(cookie).not.toContain('Secure'); // http://127.0.0.1 publicUrl; https makes it Secure
    const inbox = await page(ctx.app, jar, '/');
    expect(inbox.status).toBe(200);
    expect(await inbox.text()).toContain('Мария Петрова');
  });

  it('a manager sees only their team: another team’s lead by URL is refused', async () => {
    const { jar } = await signIn('petrova');
    const inbox = await (await page(ctx.app, jar, '/?scope=team')).text();
    expect(inbox).toContain('Розничный Клиент');
    expect(inbox).not.toContain('Дилер Петров');
    expect((await page(ctx.app, jar, `/leads/${retailLead}`)).status).toBe(200);
    const refused = await page(ctx.app, jar, `/leads/${partnersLead}`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('другому отделу');
    // Actions are refused the same way.
    const home = await (await page(ctx.app, jar, `/leads/${retailLead}`)).text();
    const take = await page(ctx.app, jar, `/leads/${partnersLead}/take`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(home) }).toString(),
    });
    expect(take.status).toBe(403);
    // The supervisor of both teams sees both.
    const head = await signIn('head');
    expect((await page(ctx.app, head.jar, `/leads/${partnersLead}`)).status).toBe(200);
  });

  it('a call shows in the thread with its duration; its recording is refused to another team', async () => {
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({
        channel: 'phone',
        account: 'zadarma',
        subject: undefined,
        text: undefined,
        from: { name: 'Позвонивший Клиент', phones: [freshPhone()] },
        call: { state: 'answered', talkSeconds: 185, recordingUrl: 'https://pbx.example/rec/1.mp3' },
      }),
    );
    const leadId = r.body.decision.leadId;
    const [call] = await ctx.db.sql<{ id: string }[]>`SELECT id FROM calls WHERE lead_id = ${leadId}`;
    const petrova = await signIn('petrova');
    const html = await (await page(ctx.app, petrova.jar, `/leads/${leadId}`)).text();
    expect(html).toContain('Входящий звонок');
    expect(html).toContain('3 мин 05 с');
    // Not downloaded yet: there is nothing to play, but the person may ask.
    expect((await page(ctx.app, petrova.jar, `/calls/${call!.id}/recording`)).status).toBe(404);
    const ivanov = await signIn('ivanov');
    expect((await page(ctx.app, ivanov.jar, `/calls/${call!.id}/recording`)).status).toBe(403);
  });

  it('«Перевести в сделку» converts the lead (an unknown CRM deal number is refused, nothing changes)', async () => {
    const r = await ctx.request(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { name: 'Будущий Клиент', phones: [freshPhone()] } }),
    );
    const leadId = r.body.decision.leadId;
    const { jar } = await signIn('petrova');
    const csrf = csrfOf(await (await page(ctx.app, jar, `/leads/${leadId}`)).text());
    const post = (fields: Record<string, string>) =>
      page(ctx.app, jar, `/leads/${leadId}/convert`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      });
    const unknown = await post({ dealExternalId: 'D-404' });
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain('Не получилось');
    expect((await ctx.request('GET', `/api/v1/leads/${leadId}`)).body.status).toBe('new');
    const ok = await post({ dealExternalId: '' });
    expect(ok.status).toBe(303);
    const lead = (await ctx.request('GET', `/api/v1/leads/${leadId}`)).body;
    expect(lead.status).toBe('converted');
    expect(lead.contact.status).toBe('client');
    expect(lead.trail.at(-1)).toMatchObject({ actor: 'web:petrova', reason: 'status new -> converted' });
  });

  it('a post without the session’s CSRF token, or from another site, is refused', async () => {
    const { jar } = await signIn('petrova');
    const noToken = await page(ctx.app, jar, `/leads/${retailLead}/take`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(noToken.status).toBe(403);
    const html = await (await page(ctx.app, jar, `/leads/${retailLead}`)).text();
    const crossSite = await page(ctx.app, jar, `/leads/${retailLead}/take`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ _csrf: csrfOf(html) }).toString(),
    });
    expect(crossSite.status).toBe(403);
    const lead = await ctx.request('GET', `/api/v1/leads/${retailLead}`);
    expect(lead.body.status).toBe('new');
  });

  it('sessions live in the database: a restarted app keeps the person signed in; logout ends it', async () => {
    const { jar } = await signIn('ivanov');
    // A second app on the same database: what a restarted (or another) daemon is.
    const restarted = secondApp();
    const again = await page(restarted, jar, '/');
    expect(again.status).toBe(200);
    const csrf = csrfOf(await again.text());
    const oldCookie = jar.header();
    const out = await page(restarted, jar, '/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }).toString(),
    });
    expect(out.status).toBe(303);
    expect((await ctx.app.request('/', { headers: { cookie: oldCookie, accept: 'text/html' } })).status).toBe(
      303,
    );
    expect(jar.get('sb_session')).toBeUndefined();
  });

  it('five wrong passwords pause sign-in for that login', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn('admin', `wrong-${i}`)).res.status).toBe(401);
    const paused = await signIn('admin');
    expect(paused.res.status).toBe(429);
    expect(await paused.res.text()).toContain('Слишком много попыток');
    // The count is in the database: a second daemon (or this one restarted) refuses too.
    const other = secondApp();
    expect((await signIn('admin', PASSWORD, other)).res.status).toBe(429);
    // When the window has passed, the right password works again and clears the count.
    ctx.clock.advance(15 * 60_000 + 1);
    expect((await signIn('admin', PASSWORD, other)).res.status).toBe(303);
    const [left] = await ctx.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM web_login_failures WHERE key = 'login:admin'`;
    expect(left!.n).toBe(0);
  });

  it('the API is untouched: bearer auth and JSON errors', async () => {
    const res = await ctx.app.request('/api/v1/leads');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(
      configSchema.safeParse({ ...ctx.config, managers: [{ login: 'x', name: 'X', password: 'plain' }] })
        .success,
    ).toBe(false);
  });
});
