import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelTransport } from '../src/channels/channel.js';
import { CHANNELS } from '../src/channels/index.js';
import { defineWhatsappChannel } from '../src/channels/whatsapp/index.js';
import { NUMBERING_PLAN_HEADER } from '../src/geo/index.js';
import { createNumberingPlanService } from '../src/geo/numbering-plan-service.js';
import { silentLogger } from '../src/observability/logger.js';
import { hasChromium, launchBrowser, signIn, startWebServer, type WebServer } from './support/browser.js';
import { inboundBody } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { startFakeViber } from './support/messenger-fakes.js';
import { backends } from './support/pg.js';
import { MEGAFON_TOKEN } from './support/telephony.js';
import { PASSWORD, webConfig } from './support/web.js';
import { fakeFactory, fakeWorld } from './support/whatsapp-fake.js';

// Committed screenshots are refreshed with SWITCHBOARD_SCREENSHOTS=1 (see test/web-browser.test.ts).
const SHOTS = process.env.SWITCHBOARD_SCREENSHOTS
  ? new URL('../docs/screenshots/', import.meta.url).pathname
  : `${mkdtempSync(path.join(tmpdir(), 'sb-shots-'))}/`;
// The other tabs' screenshots are for looking at, never committed.
const REVIEW = `${mkdtempSync(path.join(tmpdir(), 'sb-admin-review-'))}/`;
const VIBER_TOKEN = 'viber-browser-token-0123456789';
const DEF = `\ufeff${NUMBERING_PLAN_HEADER}\n900;3200000;3299999;100000;ООО "Т2 МОБАЙЛ";-;Республика Татарстан;7743895280`;

// The administrator's pages in Chromium against the whole app on loopback (PostgreSQL; the request-level
// tests in test/admin.test.ts cover both databases).
describe.runIf(backends().includes('postgres'))('the admin pages in Chromium', () => {
  let server: WebServer;
  let viber: Awaited<ReturnType<typeof startFakeViber>>;
  let browser: Browser;
  let page: Page;
  let planDir: string;
  const world = fakeWorld(() => Date.now());
  const transports: ChannelTransport[] = [];

  beforeAll(async () => {
    if (!hasChromium())
      throw new Error('Chromium is missing: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH');
    viber = await startFakeViber(VIBER_TOKEN);
    planDir = await mkdtemp(path.join(tmpdir(), 'sb-admin-plan-'));
    await writeFile(path.join(planDir, 'DEF-9xx.csv'), DEF);
    const numberingPlan = createNumberingPlanService({
      dir: planDir,
      log: silentLogger,
      refreshHours: 0,
      download: { baseUrl: 'http://127.0.0.1:1/', userAgent: 'test' },
    });
    await numberingPlan.load();
    server = await startWebServer(
      await webConfig({
        channels: {
          whatsapp: [{ account: 'sales', transport: 'web' }],
          viber: [{ account: 'shop', token: VIBER_TOKEN, senderName: 'Мебель-Фабрика', apiRoot: viber.url }],
        },
        telephony: { megafon: [{ account: 'main', crmToken: MEGAFON_TOKEN }] },
        email: {
          mailboxes: [
            {
              // Its IMAP server refuses connections: the page shows the mailbox in error with the reason.
              label: 'zakaz',
              address: 'zakaz@mebel-fabrika.ru',
              host: '127.0.0.1',
              port: 1,
              tls: 'none',
              user: 'zakaz',
              password: 'unused',
            },
          ],
          reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 },
        },
      }),
      {
        channels: [
          ...CHANNELS.filter((c) => c.name !== 'whatsapp'),
          defineWhatsappChannel({ clientFactory: fakeFactory(world), schedule: world.schedule }),
        ],
        numberingPlan,
      },
    );
    for (const name of ['whatsapp', 'email']) {
      const t = server.channels.find((c) => c.name === name)!.transport!;
      transports.push(t);
      await t.start();
    }
    browser = await launchBrowser();
    const context = await browser.newContext({
      locale: 'ru-RU',
      timezoneId: 'Europe/Moscow',
      viewport: { width: 1360, height: 900 },
    });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    for (const t of transports) await t.stop();
    await server?.close();
    await viber?.close();
    if (planDir) await rm(planDir, { recursive: true, force: true });
  });

  const row = (channel: string, account: string) =>
    page.locator(`tr[data-channel="${channel}"][data-account="${account}"]`);

  it('an admin sees every channel with its state, pairs WhatsApp by QR code and connects Viber', async () => {
    // A request through the API: the API's account shows with its last event.
    const posted = await server.api(
      'POST',
      '/api/v1/inbound',
      inboundBody({ from: { phones: [freshPhone()] } }),
    );
    expect(posted.status).toBe(200);
    // WhatsApp asks to pair; the mailbox's server refuses the connection.
    await expect.poll(() => world.clients.length).toBe(1);
    world.current().emit('qr', '2@admin-page-pairing,abc,def');
    const email = () => server.channels.find((c) => c.name === 'email')!.transport!.status();
    await expect.poll(() => JSON.stringify(email()), { timeout: 10_000 }).toContain('"state":"error"');

    await signIn(page, server.url, 'admin', PASSWORD);
    await page.getByRole('link', { name: 'Администрирование' }).click();
    await page.waitForURL(`${server.url}/admin`);
    await expect.poll(() => row('whatsapp', 'sales').textContent()).toContain('ждёт QR-код');
    expect(await row('viber', 'shop').textContent()).toContain('ждёт первого события');
    expect(await row('email', 'zakaz').textContent()).toContain('ошибка');
    expect(await row('megafon', 'main').getByRole('textbox').inputValue()).toBe(
      'http://127.0.0.1:8080/webhooks/megafon/main',
    );
    expect(await row('api', 'site').textContent()).toContain('сегодня');

    await row('viber', 'shop').getByRole('button', { name: 'Подключить' }).click();
    await expect.poll(() => row('viber', 'shop').textContent()).toContain('Провайдер принял регистрацию');
    expect(viber.http.requests.filter((r) => r.path === '/pa/set_webhook')).toHaveLength(1);
    expect(await row('viber', 'shop').textContent()).toContain('работает');
    await page.screenshot({ path: `${SHOTS}admin.png`, fullPage: true });

    await row('whatsapp', 'sales').getByRole('link', { name: 'Показать QR-код' }).click();
    const qr = page.getByRole('img', { name: /QR-код WhatsApp/ });
    await expect
      .poll(() => qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(100);
    await page.screenshot({ path: `${REVIEW}admin-pairing.png` });
    // Scanned: the page (reloading itself every 5 s) says so.
    world.current().emit('authenticated');
    world.current().emit('ready');
    await page.reload();
    expect(await page.getByText('WhatsApp подключён').count()).toBe(1);
  });

  it('the simulator answers with a team, a manager and why', async () => {
    await signIn(page, server.url, 'admin', PASSWORD);
    await page.goto(`${server.url}/admin/simulator`);
    await page.getByLabel('Телефон').fill('8 912 555-01-02');
    await page.getByLabel('Канал').selectOption('email');
    await page.getByLabel('Текст обращения').fill('Мы дилер из Казани, пришлите прайс');
    await page.getByRole('button', { name: 'Проверить' }).click();
    const result = page.getByRole('region', { name: 'Результат' });
    await expect.poll(() => result.textContent()).toContain('Партнёры');
    expect(await page.getByTestId('sim-team').textContent()).toBe('Партнёры');
    expect(await page.getByTestId('sim-manager').textContent()).toBe('Иван Иванов');
    expect(await result.textContent()).toContain('в первом сообщении есть «дилер»');
    await page.screenshot({ path: `${SHOTS}admin-simulator.png`, fullPage: true });
  });

  it('every admin tab answers in Russian: numbering, teams, the audit trail, failed events with retry', async () => {
    await server.db.sql`
      INSERT INTO inbound_events (source, account, external_id, payload, status, attempts, last_error)
      VALUES ('viber', 'shop', 'dead-1', ${server.db.sql.json({ event: 'message' })}, 'dead', 8,
              'normalize: unknown Viber event "message_v9"')`;
    await signIn(page, server.url, 'admin', PASSWORD);
    const tabs: [string, string, string][] = [
      ['Нумерация', 'DEF-9xx.csv', 'admin-numbering'],
      ['Команды и смены', 'Сейчас на смене', 'admin-teams'],
      ['Журнал', 'Новый лид', 'admin-audit'],
      ['Ошибки приёма', 'unknown Viber event', 'admin-inbound'],
    ];
    for (const [tab, text, shot] of tabs) {
      await page.goto(`${server.url}/admin`);
      await page.getByRole('link', { name: tab, exact: true }).click();
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(tab);
      expect(await page.locator('main').textContent()).toContain(text);
      await page.screenshot({ path: `${REVIEW}${shot}.png`, fullPage: true });
    }
    await page.getByRole('button', { name: 'Повторить', exact: true }).click();
    await expect.poll(() => page.getByRole('status').count()).toBeGreaterThan(0);
    const [event] = await server.db.sql<{ attempts: number; status: string }[]>`
      SELECT status, attempts FROM inbound_events WHERE external_id = 'dead-1'`;
    expect(event!.status).toBe('dead');
    const [retry] = await server.db.sql`SELECT actor FROM audit_log WHERE action = 'inbound_event.retry'`;
    expect(retry).toMatchObject({ actor: 'web:admin' });
  });

  it('a manager is refused /admin and has no link to it', async () => {
    await page.context().clearCookies();
    await signIn(page, server.url, 'petrova', PASSWORD);
    expect(await page.getByRole('link', { name: 'Администрирование' }).count()).toBe(0);
    const res = await page.goto(`${server.url}/admin`);
    expect(res?.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('только администраторам');
    expect(await page.getByText('Подключить').count()).toBe(0);
  });
});
