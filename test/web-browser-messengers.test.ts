import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, signIn, startWebServer, type WebServer } from './support/browser.js';
import { type HttpRecorder, startHttpRecorder } from './support/http-recorder.js';
import { fixtureText } from './support/messenger-fakes.js';
import { backends } from './support/pg.js';
import { PASSWORD, webConfig } from './support/web.js';

const SHOTS = process.env.SWITCHBOARD_SCREENSHOTS
  ? new URL('../docs/screenshots/', import.meta.url).pathname
  : `${mkdtempSync(path.join(tmpdir(), 'sb-shots-'))}/`;
const TOKEN = '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9';

// A Viber client who unsubscribed, as the manager meets them on the lead page (PostgreSQL is enough here: the
// request-level test of the same page runs on both databases, test/messenger-media.test.ts).
describe.runIf(backends().includes('postgres'))('a Viber client who unsubscribed, in Chromium', () => {
  let server: WebServer;
  let viber: HttpRecorder;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    if (!hasChromium())
      throw new Error('Chromium is missing: apt-get install chromium, or set CHROMIUM_PATH');
    viber = await startHttpRecorder();
    server = await startWebServer(
      await webConfig({
        channels: {
          viber: [{ account: 'bot', token: TOKEN, senderName: 'Мебель-Фабрика', apiRoot: viber.url }],
        },
      }),
    );
    browser = await launchBrowser();
    page = await (
      await browser.newContext({
        locale: 'ru-RU',
        timezoneId: 'Europe/Moscow',
        viewport: { width: 1280, height: 820 },
      })
    ).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await viber?.close();
  });

  const callback = async (body: string) => {
    const res = await fetch(`${server.url}/webhooks/viber/bot`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-viber-content-signature': createHmac('sha256', TOKEN).update(body).digest('hex'),
      },
      body,
    });
    expect(res.status).toBe(200);
  };

  it('the card says «отписался от Viber» and a reply is refused in Russian, without calling Viber', async () => {
    const user = 'Ul7Qd0mTe5+/web==';
    await callback(
      fixtureText('viber/message-text.json')
        .replaceAll('01234567890A=', user)
        .replace('"timestamp":1457764197627', `"timestamp":${Date.parse('2026-11-30T06:40:00Z')}`)
        .replace('John McClane', 'Ольга Смирнова')
        .replace(
          'Здравствуйте, сколько стоит доставка?',
          'Здравствуйте! Сколько стоит доставка дивана в Казань?',
        ),
    );
    await callback(
      fixtureText('viber/unsubscribed.json')
        .replaceAll('3SQNc4FPUQmysaM/AQEhXg==', user)
        .replace('"timestamp":1595347885535', `"timestamp":${Date.parse('2026-11-30T06:55:00Z')}`),
    );
    const [lead] = await server.db.sql<{ id: string }[]>`
      SELECT l.id FROM leads l JOIN conversations c ON c.lead_id = l.id WHERE c.thread_key = ${`user:${user}`}`;

    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.goto(`${server.url}/leads/${lead!.id}`);
    const card = page.getByRole('region', { name: 'Клиент' });
    await card.getByText('отписался от Viber').waitFor();
    await page.screenshot({ path: `${SHOTS}lead-viber-unsubscribed.png`, fullPage: true });

    await page.getByLabel('Текст ответа').fill('Добрый день! Доставка в Казань — 1 500 ₽.');
    await page.getByRole('button', { name: 'Отправить' }).click();
    // The lead page comes back with the reason above the reply box and the typed text kept.
    const alert = page.getByRole('alert').filter({ hasText: 'Клиент отписался от Viber-бота' });
    await alert.waitFor();
    expect(await alert.textContent()).not.toMatch(/viber_unsubscribed|[{}]/);
    expect(await page.getByLabel('Текст ответа').inputValue()).toBe(
      'Добрый день! Доставка в Казань — 1 500 ₽.',
    );
    await page.screenshot({ path: `${SHOTS}reply-viber-unsubscribed.png` });
    expect(viber.requests.filter((r) => r.path === '/pa/send_message')).toHaveLength(0);
  });
});
