import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasChromium, launchBrowser, signIn, startWebServer, type WebServer } from './support/browser.js';
import { gradientPng, hostileMail, PDF } from './support/html-mail.js';

const PHOTO = gradientPng(320, 200);

import { type HttpRecorder, startHttpRecorder } from './support/http-recorder.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { type FakeVk, fixtureJson, startFakeVk } from './support/messenger-fakes.js';
import { backends } from './support/pg.js';
import { startSmtpCapture } from './support/smtp.js';
import { startTelegramFake, type TelegramFake } from './support/telegram-fake.js';
import { PASSWORD, webConfig } from './support/web.js';
import { fixture } from './support/whatsapp-fixtures.js';

const SHOTS = process.env.SWITCHBOARD_SCREENSHOTS
  ? new URL('../docs/screenshots/', import.meta.url).pathname
  : `${mkdtempSync(path.join(tmpdir(), 'sb-shots-'))}/`;

const TG_TOKEN = '700000001:AAthread-test-token';
const TG_SECRET = 'tg-thread-secret';
const VK_SECRET = 'vk-thread-secret';
const VK_GROUP = 199493573;
const GREEN_WEBHOOK_TOKEN = 'green-thread-webhook-token';

// A real browser against the whole app (PostgreSQL; the pages' reads are the same on the embedded database).
describe.runIf(backends().includes('postgres'))('the lead thread in Chromium', () => {
  let server: WebServer;
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
  let vk: FakeVk;
  let tg: TelegramFake;
  let green: HttpRecorder;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every request the browser tried to make outside the app. */
  let outside: string[];
  let dialogs: string[];

  beforeAll(async () => {
    if (!hasChromium())
      throw new Error('Chromium is missing: apt-get install chromium, or set CHROMIUM_PATH');
    smtp = await startSmtpCapture();
    vk = await startFakeVk();
    tg = await startTelegramFake([TG_TOKEN]);
    green = await startHttpRecorder();
    green.on('GET /media/photo.png', () => ({
      status: 200,
      headers: { 'content-type': 'image/png' },
      body: PHOTO,
    }));
    const base = await webConfig();
    const mailbox = (label: string, address: string, smtpPort?: number) => ({
      label,
      address,
      host: '127.0.0.1',
      port: 1,
      tls: 'none' as const,
      user: label,
      password: 'unused',
      ...(smtpPort ? { smtp: { host: '127.0.0.1', port: smtpPort, tls: 'none' as const } } : {}),
    });
    server = await startWebServer({
      ...base,
      routing: {
        ...base.routing!,
        clientTypes: {
          rules: [{ type: 'partner', when: { keywords: ['дилер'] } }],
          labels: { retail: 'Розница' },
        },
      },
      email: {
        mailboxes: [
          mailbox('sales', 'sales@mebel-fabrika.ru', smtp.port),
          mailbox('archive', 'archive@mebel-fabrika.ru'), // reads mail, cannot send
        ],
      },
      channels: {
        vk: [
          {
            account: 'main',
            groupId: VK_GROUP,
            token: 'vk-token',
            secret: VK_SECRET,
            confirmation: 'c0nf',
            apiRoot: vk.url,
          },
        ],
        whatsapp: [
          {
            account: 'shop',
            transport: 'gateway',
            apiRoot: green.url,
            idInstance: '1101000001',
            apiTokenInstance: 'green-api-token',
            webhookToken: GREEN_WEBHOOK_TOKEN,
            retryDelayMs: 0,
          },
        ],
        telegram: [
          { account: 'shop_bot', token: TG_TOKEN, secret: TG_SECRET, transport: 'webhook', apiRoot: tg.url },
        ],
      },
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    await vk?.close();
    await tg?.close();
    await green?.close();
  });
  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext({
      locale: 'ru-RU',
      timezoneId: 'Europe/Moscow',
      acceptDownloads: true,
    });
    outside = [];
    dialogs = [];
    // Nothing may leave the app; a provider's CDN is answered here (as it would be on the internet).
    await context.route(
      (u) => !u.href.startsWith(server.url),
      (route) => {
        const url = route.request().url();
        outside.push(url);
        if (url.startsWith('https://sun9-1.userapi.com/'))
          return route.fulfill({ status: 200, contentType: 'image/png', body: PHOTO });
        return route.abort();
      },
    );
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  const leadOf = (outcome: unknown) => (outcome as { decisions: { leadId: string }[] }).decisions[0]!.leadId;

  it('a hostile HTML email is shown sanitized in a sandbox: nothing runs, nothing remote loads; the attachment downloads', async () => {
    const leadId = leadOf(await server.receiveEmail('sales', { raw: hostileMail(freshEmail()) }));
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.goto(`${server.url}/leads/${leadId}`);
    const frameEl = page.locator('iframe.email-frame');
    expect(await frameEl.getAttribute('sandbox')).toBe(
      'allow-same-origin allow-popups allow-popups-to-escape-sandbox',
    );
    const mail = page.frameLocator('iframe.email-frame');
    await mail.getByText('прилавок').waitFor();
    expect(await mail.locator('b').textContent()).toBe('прилавок');
    await mail.getByText('Внешние картинки не загружены (1)').waitFor(); // the tracking pixel
    // The inline (cid:) logo is shown from the message itself.
    const logo = mail.getByRole('img', { name: 'Логотип' });
    await expect
      .poll(() =>
        logo.evaluate(
          (i) =>
            (i as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (i as unknown as { naturalWidth: number }).naturalWidth,
        ),
      )
      .toBe(16);
    expect(await logo.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    // Links: the safe one opens in a new tab without opener/referrer; the javascript: one is not a link.
    const site = mail.getByRole('link', { name: 'Наш сайт' });
    expect(await site.getAttribute('target')).toBe('_blank');
    expect(await site.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await mail.getByText('Нажмите сюда').evaluate((e) => e.getAttribute('href'))).toBeNull();
    await mail.getByText('Нажмите сюда').click();
    // Nothing that runs survived, and what was there never ran.
    const inFrame = await mail.locator('body').evaluate((b) => {
      const style = (e: unknown) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { position: string; display: string } }
        ).getComputedStyle(e);
      return {
        scripts:
          b.querySelectorAll('script, iframe, form, input, svg, meta, style, link, object, embed').length +
          b.ownerDocument.querySelectorAll('script').length,
        remote: [...b.querySelectorAll('img')].filter((i) =>
          /^https?:|^\/\//.test(i.getAttribute('src') ?? ''),
        ).length,
        handlers: [...b.ownerDocument.querySelectorAll('*')].filter((e) =>
          [...e.attributes].some((a) => a.name.startsWith('on')),
        ).length,
        overlay: style([...b.ownerDocument.querySelectorAll('div')].find((d) => d.textContent === 'Оверлей')!)
          .position,
        hidden: style(b).display,
      };
    });
    expect(inFrame).toEqual({ scripts: 0, remote: 0, handlers: 0, overlay: 'static', hidden: 'block' });
    expect(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(outside.filter((u) => /evil\.test/.test(u))).toEqual([]);
    // Even opened directly, the body is a sandboxed document that may load nothing.
    const direct = await page.request.get(`${server.url}${await frameEl.getAttribute('src')}`);
    expect(direct.headers()['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
    expect(await direct.text()).not.toMatch(/<script|onerror|javascript:|evil\.test/i);

    const attachment = page.getByRole('link', { name: /Документ: Счёт\.pdf/ });
    const [download] = await Promise.all([page.waitForEvent('download'), attachment.click()]);
    expect(download.suggestedFilename()).toBe('Счёт.pdf');
    expect(readFileSync((await download.path())!)).toEqual(PDF);
    const file = await page.request.get(`${server.url}${await attachment.getAttribute('href')}`);
    expect(file.headers()['content-type']).toBe('application/pdf');
    expect(file.headers()['content-disposition']).toBe(
      `attachment; filename="____.pdf"; filename*=UTF-8''${encodeURIComponent('Счёт.pdf')}`,
    );
    expect(file.headers()['x-content-type-options']).toBe('nosniff');
    // The frame fits its content (the page's script measures it; no script runs inside).
    const fitted = await mail.locator('body').evaluate((b) => b.scrollHeight + 12);
    await expect
      .poll(() =>
        frameEl.evaluate((f) => Math.round((f as unknown as { offsetHeight: number }).offsetHeight)),
      )
      .toBe(fitted);
    await page.screenshot({ path: `${SHOTS}lead-email-html.png`, fullPage: true });

    // Another team's manager gets neither the body nor the file.
    const other = await browser.newContext();
    const p2 = await other.newPage();
    await signIn(p2, server.url, 'ivanov', PASSWORD);
    expect((await p2.request.get(`${server.url}${await attachment.getAttribute('href')}`)).status()).toBe(
      403,
    );
    expect((await p2.request.get(`${server.url}${await frameEl.getAttribute('src')}`)).status()).toBe(403);
    await other.close();
  });

  it('messenger media: VK photo, document and voice from their links; Telegram file ids as words', async () => {
    const userId = 40_000_000 + Math.floor(Math.random() * 1_000_000);
    const update = fixtureJson('vk/message_new-attachments.json');
    update.secret = VK_SECRET;
    update.event_id = `ev-${userId}`;
    Object.assign(update.object.message, { from_id: userId, peer_id: userId, conversation_message_id: 1 });
    vk.users.set(userId, { id: userId, first_name: 'Олег', last_name: 'Фотографов' });
    const res = await fetch(`${server.url}/webhooks/vk/main`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(update),
    });
    expect(res.status).toBe(200);
    const chatId = 500_000 + Math.floor(Math.random() * 100_000);
    const tgRes = await fetch(`${server.url}/webhooks/telegram/shop_bot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TG_SECRET },
      body: JSON.stringify({
        update_id: chatId,
        message: {
          message_id: 7,
          from: { id: chatId, is_bot: false, first_name: 'Ирина' },
          chat: { id: chatId, first_name: 'Ирина', type: 'private' },
          date: 1767002400,
          caption: 'Фото витрины и прайс',
          photo: [{ file_id: 'AgADph0to', file_unique_id: 'u1', width: 800, height: 600, file_size: 52000 }],
        },
      }),
    });
    expect(tgRes.status).toBe(200);
    const tgDoc = await fetch(`${server.url}/webhooks/telegram/shop_bot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TG_SECRET },
      body: JSON.stringify({
        update_id: chatId + 1,
        message: {
          message_id: 8,
          from: { id: chatId, is_bot: false, first_name: 'Ирина' },
          chat: { id: chatId, first_name: 'Ирина', type: 'private' },
          date: 1767002460,
          document: { file_id: 'BQADdoc', file_unique_id: 'u2', file_name: 'прайс.xlsx', file_size: 20480 },
          voice: { file_id: 'AwADvoice', file_unique_id: 'u3', duration: 9, mime_type: 'audio/ogg' },
        },
      }),
    });
    expect(tgDoc.status).toBe(200);

    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.getByRole('link', { name: /Олег Фотографов/ }).click();
    const thread = page.locator('#thread');
    const photo = thread.getByRole('img', { name: 'Фото' });
    await expect
      .poll(() =>
        photo.evaluate(
          (i) =>
            (i as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (i as unknown as { naturalWidth: number }).naturalWidth,
        ),
      )
      .toBe(320);
    expect(await photo.getAttribute('referrerpolicy')).toBe('no-referrer');
    const doc = thread.getByRole('link', { name: /Документ: размеры\.pdf/ });
    expect(await doc.getAttribute('href')).toBe('https://vk.com/doc22757746_645312871?hash=0a1b2c');
    expect(await doc.getAttribute('rel')).toBe('noopener noreferrer');
    const voice = thread.locator('audio[aria-label="Голосовое сообщение"]');
    expect(await voice.getAttribute('src')).toBe('https://psv4.userapi.com/v.mp3');
    expect(await thread.textContent()).toContain('Голосовое сообщение · 7 с');
    // The card names the client type in Russian (the config's label), the trail says what happened in Russian.
    expect(await page.getByRole('region', { name: 'Клиент' }).textContent()).toContain('Розница');
    await page.getByText('Журнал').click();
    const trail = await page.locator('details.trail').textContent();
    expect(trail).toContain('Новый лид');
    expect(trail).toContain('новый лид от нового клиента');
    expect(trail).not.toMatch(/matched|prospect|new lead for/);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${SHOTS}lead-media.png`, fullPage: true });

    await page.goto(`${server.url}/?q=${encodeURIComponent('Ирина')}`);
    await page.getByRole('link', { name: /Ирина/ }).first().click();
    const tgThread = page.locator('#thread');
    await tgThread.getByText('Фото витрины и прайс').waitFor();
    const text = (await tgThread.textContent()) ?? '';
    expect(text).toContain('Фото');
    expect(text).toContain('Документ: прайс.xlsx');
    expect(text).toContain('Голосовое сообщение');
    // Telegram's file ids are queued for our copy (the media worker is not running here): no image yet.
    expect(text).toContain('загружается');
    expect(await tgThread.locator('img, audio').count()).toBe(0);
  });

  it('a WhatsApp photo the app downloaded is shown from the app itself', async () => {
    const phone = freshPhone();
    const n = fixture('green-api', 'incoming-image.json') as {
      senderData: { chatId: string; sender: string; chatName: string; senderName: string };
      idMessage: string;
      messageData: { fileMessageData: { downloadUrl: string; caption: string } };
    };
    n.senderData = {
      ...n.senderData,
      chatId: `7${phone}@c.us`,
      sender: `7${phone}@c.us`,
      senderName: 'Фотина',
    };
    n.idMessage = `ID${phone}`;
    n.messageData.fileMessageData.downloadUrl = `${green.url}/media/photo.png`;
    const res = await fetch(`${server.url}/webhooks/whatsapp/shop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${GREEN_WEBHOOK_TOKEN}` },
      body: JSON.stringify(n),
    });
    expect(res.status).toBe(200);
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.goto(`${server.url}/?q=${encodeURIComponent('Фотина')}`);
    await page
      .getByRole('link', { name: /Фотина/ })
      .first()
      .click();
    const photo = page.locator('#thread').getByRole('img', { name: /^Фото/ });
    await expect
      .poll(() =>
        photo.evaluate((i) => (i as unknown as { complete: boolean; naturalWidth: number }).naturalWidth),
      )
      .toBe(320);
    expect(await photo.getAttribute('src')).toMatch(
      /^\/leads\/[0-9a-f-]{36}\/messages\/[0-9a-f-]{36}\/files\/0$/,
    );
    expect(outside).toEqual([]);
  });

  it('the reply box is offered only where the account can send; otherwise it says why', async () => {
    const leadId = leadOf(
      await server.receiveEmail('archive', {
        from: freshEmail(),
        fromName: 'Архивный Клиент',
        subject: 'Вопрос',
        text: 'Есть ли доставка?',
      }),
    );
    await signIn(page, server.url, 'petrova', PASSWORD);
    await page.goto(`${server.url}/leads/${leadId}`);
    const note = page.getByRole('note');
    await note.waitFor();
    expect(await note.textContent()).toContain('не настроена отправка');
    expect(await page.getByLabel('Текст ответа').count()).toBe(0);
    // Plain-text mail is shown as text, no frame.
    expect(await page.locator('iframe.email-frame').count()).toBe(0);
    await page.locator('#thread').getByText('Есть ли доставка?').waitFor();
  });
});
