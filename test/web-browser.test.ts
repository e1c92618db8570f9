import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, signIn, startWebServer, type WebServer } from './support/browser.js';
import { inboundBody } from './support/context.js';
import { type HttpRecorder, startHttpRecorder } from './support/http-recorder.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';
import { startSmtpCapture } from './support/smtp.js';
import { fixture, MEGAFON_TOKEN } from './support/telephony.js';
import { PASSWORD, webConfig } from './support/web.js';

// The committed screenshots are refreshed on request (SWITCHBOARD_SCREENSHOTS=1); otherwise they go to a temp
// directory, so a test run never changes tracked files.
const SHOTS = process.env.SWITCHBOARD_SCREENSHOTS
  ? new URL('../docs/screenshots/', import.meta.url).pathname
  : `${mkdtempSync(path.join(tmpdir(), 'sb-shots-'))}/`;

// A real browser against the real app on loopback. One database backend is enough here (PostgreSQL): the
// embedded one is covered by the request-level tests of the same pages (test/web-*.test.ts).
describe.runIf(backends().includes('postgres'))('the web app in Chromium', () => {
  let server: WebServer;
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  let pbx: HttpRecorder;
  beforeAll(async () => {
    pbx = await startHttpRecorder();
    pbx.on('POST /crmapi/v1/makecall', () => ({ body: '{"callid":"c2c-web"}' }));
    if (!hasChromium())
      throw new Error('Chromium is missing: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH');
    smtp = await startSmtpCapture();
    server = await startWebServer(
      await webConfig({
        telephony: {
          megafon: [
            { account: 'main', crmToken: MEGAFON_TOKEN, baseUrl: pbx.url, apiKey: 'test-pbx-api-key' },
          ],
        },
        email: {
          mailboxes: [
            {
              label: 'sales',
              address: 'sales@mebel-fabrika.ru',
              fromName: 'Мебель-Фабрика, отдел продаж',
              host: '127.0.0.1',
              port: 1, // IMAP is not watched here: mail is stored as the watcher would store it
              tls: 'none',
              user: 'sales',
              password: 'unused',
              smtp: { host: '127.0.0.1', port: smtp.port, tls: 'none' },
            },
            {
              // Its SMTP server refuses connections: a reply through it fails (502).
              label: 'broken',
              address: 'zakaz@mebel-fabrika.ru',
              fromName: 'Мебель-Фабрика, заказы',
              host: '127.0.0.1',
              port: 1,
              tls: 'none',
              user: 'zakaz',
              password: 'unused',
              smtp: { host: '127.0.0.1', port: 1, tls: 'none' },
            },
          ],
        },
      }),
    );
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    await pbx?.close();
  });
  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext({
      locale: 'ru-RU',
      timezoneId: 'Europe/Moscow',
      viewport: { width: 1280, height: 820 },
    });
    page = await context.newPage();
  });

  const newLead = async (o: { name: string; text?: string; subject?: string; at?: Date }) => {
    const res = await server.api(
      'POST',
      '/api/v1/inbound',
      inboundBody({
        occurredAt: (o.at ?? server.clock.clock()).toISOString(),
        from: { name: o.name, phones: [freshPhone()], emails: [freshEmail()] },
        subject: o.subject ?? 'Заявка с сайта',
        text: o.text ?? 'Нужен прилавок 2 м, пришлите цену',
      }),
    );
    expect(res.status).toBe(200);
    return res.body.decision.leadId as string;
  };

  it('signs in, refuses a wrong password, signs out', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    await page.screenshot({ path: `${SHOTS}login.png` });
    await page.getByLabel('Логин').fill('petrova');
    await page.getByLabel('Пароль').fill('не тот');
    await page.getByRole('button', { name: 'Войти' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Неверный логин или пароль');
    await page.getByLabel('Пароль').fill(PASSWORD);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.getByText('Мария Петрова').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${server.url}/`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
  });

  it('a manager sees only their team: another team’s lead is refused by URL', async () => {
    const dealer = await newLead({ name: 'Сергей Дилеров', text: 'Мы дилер из Казани, нужен прайс' });
    await newLead({ name: 'Ольга Розничная' });
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.getByText('Весь отдел').click();
    await page.waitForURL(/scope=team/);
    expect(await page.getByText('Ольга Розничная').count()).toBe(1);
    expect(await page.getByText('Сергей Дилеров').count()).toBe(0);
    const res = await page.goto(`${server.url}/leads/${dealer}`);
    expect(res?.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('другому отделу');
  });

  it('a lead posted to the API appears in the open inbox without a reload, counted in the tab title', async () => {
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 1;
    });
    const before = await page.title();
    await newLead({ name: 'Живой Клиент', text: 'Появись сам' });
    await page.getByText('Живой Клиент').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1); // no reload
    await expect.poll(() => page.title()).toMatch(/^\(\d+\) Входящие/);
    expect(before).not.toBe(await page.title());
  });

  it('an email reply typed in the app reaches the SMTP server and appears in the thread', async () => {
    const client = freshEmail();
    const outcome = await server.receiveEmail('sales', {
      from: client,
      fromName: 'Пётр Почтовый',
      subject: 'Кухонный гарнитур',
      text: 'Здравствуйте! Сколько стоит гарнитур 3 метра?\n\nПётр, +7 912 000-11-22',
    });
    expect(outcome.status).toBe('processed');
    const leadId = (outcome as { decisions: { leadId: string }[] }).decisions[0]!.leadId;
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.getByText('Пётр Почтовый').click();
    await page.waitForURL(`${server.url}/leads/${leadId}`);
    await page.getByLabel('Текст ответа').fill('Добрый день, Пётр! Гарнитур 3 м — от 180 000 ₽.');
    await page.getByLabel('Текст ответа').press('Control+Enter');
    await page.getByRole('status').filter({ hasText: 'Ответ отправлен' }).waitFor();
    expect(smtp.received.at(-1)?.to).toEqual([client]);
    expect(smtp.received.at(-1)?.raw.toString()).toMatch(/^In-Reply-To: <.+@client-mail\.ru>/m);
    await page.locator('#thread').getByText('от 180 000 ₽').waitFor();
    await page.screenshot({ path: `${SHOTS}lead.png`, fullPage: true });
  });

  it('states are designed and Russian: nothing found, an unknown page, a reply the channel refuses', async () => {
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.goto(`${server.url}/?q=${encodeURIComponent('Никтоневстречался')}`);
    await page.getByText('Ничего не найдено').waitFor();
    await page.screenshot({ path: `${SHOTS}inbox-nothing-found.png` });
    await page.getByRole('link', { name: 'Сбросить поиск и фильтры' }).click();
    await page.waitForURL(`${server.url}/`);

    for (const path of ['/no/such/page', '/leads/not-an-id']) {
      const res = await page.goto(server.url + path);
      expect(res?.status()).toBe(404);
      await page.getByRole('heading', { name: 'Не найдено' }).waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('Такой страницы нет');
      expect(await page.getByRole('button', { name: 'Выйти' }).count()).toBe(1); // the app's header
    }

    const outcome = await server.receiveEmail('broken', {
      from: freshEmail(),
      fromName: 'Ольга Недоставка',
      subject: 'Шкаф-купе',
      text: 'Нужен шкаф-купе 2,4 м, сколько стоит?',
    });
    const leadId = (outcome as { decisions: { leadId: string }[] }).decisions[0]!.leadId;
    await page.goto(`${server.url}/leads/${leadId}`);
    const typed = 'Добрый день! Шкаф-купе 2,4 м — от 60 000 ₽.\nДоставка по Казани бесплатно.';
    await page.getByLabel('Текст ответа').fill(typed);
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/leads/${leadId}/reply`)),
      page.getByRole('button', { name: 'Отправить' }).click(),
    ]);
    // The refusal comes back as the lead page itself: the reason inline, the text still in the box.
    expect(answer.status()).toBe(502);
    const alert = page.locator('form.reply').getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Канал не принял сообщение');
    expect(await alert.textContent()).not.toMatch(/SMTP|ECONNREFUSED|[{}]/);
    expect(await page.getByLabel('Текст ответа').inputValue()).toBe(typed);
    await page.screenshot({ path: `${SHOTS}reply-failed.png` });
    // Even a reload (or a crash page and the way back) keeps what was typed: the tab holds the draft.
    await page.goto(`${server.url}/leads/${leadId}`);
    expect(await page.getByLabel('Текст ответа').inputValue()).toBe(typed);
  });

  it('«Взять в работу» stops the pending SLA alert; an untouched lead alerts its supervisor, who follows the link', async () => {
    const t0 = server.clock.clock();
    const taken = await newLead({ name: 'Быстрый Ответ', at: t0 });
    const forgotten = await newLead({ name: 'Забытый Клиент', at: t0 });
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.goto(`${server.url}/leads/${taken}`);
    await page.getByRole('button', { name: 'Взять в работу' }).click();
    await page.getByRole('status').filter({ hasText: 'Лид взят в работу' }).waitFor();
    server.clock.advance(2 * 3_600_000 + 60_000);
    await server.scanSla();
    const alerts = await server.db.sql<{ leadId: string; url: string }[]>`
      SELECT lead_id, url FROM notifications WHERE recipient = 'head'`;
    expect(alerts.map((a) => a.leadId)).toContain(forgotten);
    expect(alerts.map((a) => a.leadId)).not.toContain(taken);

    // The supervisor opens the alert's link signed out: sign-in, then straight to the lead.
    const link = alerts.find((a) => a.leadId === forgotten)!.url.replace(/^https?:\/\/[^/]+/, server.url);
    await context.clearCookies();
    await page.goto(link);
    await page.getByLabel('Логин').fill('head');
    await page.getByLabel('Пароль').fill(PASSWORD);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.waitForURL(`${server.url}/leads/${forgotten}`);
    await page.getByRole('heading', { name: 'Забытый Клиент' }).waitFor();
    expect(await page.locator('#notif-badge').textContent()).toMatch(/^\d+$/);
    // The in-app notifications: a badge until they are marked read.
    await page.getByRole('link', { name: /Уведомления/ }).click();
    await page.getByRole('link', { name: 'Открыть лид' }).first().waitFor();
    await page.getByRole('button', { name: 'Отметить все прочитанными' }).click();
    await page.getByText('Отметить все прочитанными').waitFor({ state: 'detached' });
    expect(await page.locator('#notif-badge').isHidden()).toBe(true);
  });

  it('junk with a reason closes the lead and records the reason', async () => {
    const lead = await newLead({ name: 'Спам Спамович', text: 'Купите наши услуги SEO' });
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.goto(`${server.url}/leads/${lead}`);
    await page.getByText('Некачественный лид').click();
    await page.getByLabel('спам').check();
    await page.getByRole('button', { name: 'Закрыть как некачественный' }).click();
    await page.getByRole('status').filter({ hasText: 'закрыт как некачественный' }).waitFor();
    const api = await server.api('GET', `/api/v1/leads/${lead}`);
    expect(api.body.status).toBe('junk');
    expect(api.body.trail.at(-1)).toMatchObject({
      actor: 'web:petrova',
      reason: expect.stringContaining('спам'),
    });
  });

  it('merges two contacts of one person from the suggestion, then undoes the merge', async () => {
    const phone = freshPhone();
    const email = freshEmail();
    const post = (from: Record<string, unknown>, channel = 'webform') =>
      server.api(
        'POST',
        '/api/v1/inbound',
        inboundBody({ channel, account: 'site', from, occurredAt: server.clock.clock().toISOString() }),
      );
    const byPhone = (await post({ name: 'Глеб Телефонов', phones: [phone] })).body.decision;
    const byEmail = (await post({ name: 'Глеб Почтовиков', emails: [email] }, 'email')).body.decision;
    await post({ emails: [email], phones: [phone] }, 'email');
    await signIn(page, server.url, 'head', PASSWORD);
    await page.getByRole('link', { name: 'Дубли контактов' }).click();
    await page.screenshot({ path: `${SHOTS}merges.png` });
    await page.getByRole('button', { name: /Объединить: оставить «Глеб Почтовиков»/ }).click();
    await page.getByRole('status').filter({ hasText: 'Контакты объединены' }).waitFor();
    expect((await server.api('GET', `/api/v1/contacts/${byPhone.contactId}`)).status).toBe(404);
    await page.getByRole('button', { name: 'Отменить объединение' }).first().click();
    await page.getByRole('status').filter({ hasText: 'Объединение отменено' }).waitFor();
    const restored = await server.api('GET', `/api/v1/contacts/${byPhone.contactId}`);
    expect(restored.status).toBe(200);
    expect(restored.body.leads.map((l: { id: string }) => l.id)).toEqual([byPhone.leadId]);
    const kept = await server.api('GET', `/api/v1/contacts/${byEmail.contactId}`);
    expect(kept.body.leads.map((l: { id: string; status: string }) => [l.id, l.status])).toEqual([
      [byEmail.leadId, 'new'],
    ]);
    await page
      .getByRole('button', { name: /Объединить: оставить/ })
      .first()
      .waitFor();
  });

  it('a call ringing on the manager’s PBX login shows the caller’s card at once, with a link to the lead', async () => {
    const lead = (
      await server.api(
        'POST',
        '/api/v1/inbound',
        inboundBody({
          occurredAt: server.clock.clock().toISOString(),
          from: { name: 'Виктор Звонарёв', phones: ['8 (916) 123-45-67'] },
          text: 'Мы дилер, перезвоните по прайсу',
        }),
      )
    ).body.decision.leadId;
    await signIn(page, server.url, 'ivanov', PASSWORD);
    const ring = await fetch(`${server.url}/webhooks/megafon/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fixture('megafon/answered-call/02-event-incoming-ivanov.form'),
    });
    expect(ring.status).toBe(200);
    const card = page.getByRole('complementary', { name: 'Входящий звонок' });
    await card.getByText('Виктор Звонарёв').waitFor();
    expect(await card.textContent()).toContain('+7 (916) 123-45-67');
    await page.screenshot({ path: `${SHOTS}call-card.png` });
    await card.getByRole('link', { name: 'Открыть лид' }).click();
    await page.waitForURL(`${server.url}/leads/${lead}`);
    // Click-to-call back: the PBX rings the manager, then the client.
    await page.getByRole('button', { name: 'Позвонить' }).click();
    await page.getByRole('status').filter({ hasText: 'Звоним' }).waitFor();
    expect(JSON.parse(pbx.requests.at(-1)!.body)).toEqual({ user: 'ivanov', phone: '79161234567' });
  });

  it('screens: the inbox on a desktop and the lead page on a phone', async () => {
    await signIn(page, server.url, 'head', PASSWORD);
    await page.goto(`${server.url}/?scope=team&status=all`);
    await page.screenshot({ path: `${SHOTS}inbox.png` });
    // A 1366×768 laptop: no horizontal scroll.
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${server.url}/?scope=team&status=all`);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
    await page.screenshot({ path: `${SHOTS}inbox-laptop-1366.png` });
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale: 'ru-RU',
      isMobile: true,
    });
    const p = await phone.newPage();
    await signIn(p, server.url, 'head', PASSWORD);
    await p.goto(`${server.url}/?scope=team&status=all`);
    await p.getByRole('link', { name: /Пётр Почтовый/ }).click();
    await p.screenshot({ path: `${SHOTS}lead-phone.png`, fullPage: true });
    await phone.close();
  });
});
