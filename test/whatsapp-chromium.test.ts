import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { puppeteerOptions } from '../src/channels/whatsapp/web-client.js';

/**
 * The browser whatsapp-web.js drives: the puppeteer the library itself depends on starts Debian's Chromium
 * headless with the transport's options (no downloaded browser exists: .puppeteerrc.cjs). It opens a local
 * page only: WhatsApp Web is not reachable from tests. .ci/run installs Chromium; elsewhere the test is skipped.
 */
const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);

describe('whatsapp-web.js’s browser', () => {
  it.skipIf(!present)(
    present
      ? 'starts Debian’s Chromium headless'
      : `SKIPPED: ${CHROMIUM} is absent (apt-get install chromium)`,
    async () => {
      const fromLibrary = createRequire(createRequire(import.meta.url).resolve('whatsapp-web.js'));
      const puppeteer = fromLibrary('puppeteer') as typeof import('puppeteer');
      const browser = await puppeteer.launch(puppeteerOptions({ headless: true, executablePath: CHROMIUM }));
      try {
        expect(await browser.userAgent()).toContain('HeadlessChrome');
        const page = await browser.newPage();
        await page.goto('data:text/html,<title>switchboard</title>');
        expect(await page.title()).toBe('switchboard');
      } finally {
        await browser.close();
      }
    },
    30_000,
  );
});
