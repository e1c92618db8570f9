import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium; .ci/run installs it). playwright-core never downloads one. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = () => existsSync(CHROMIUM);

/** Chromium without a sandbox, a GPU or background traffic: the browser of the tests and of the web bench. */
export async function launchBrowser(executablePath = CHROMIUM): Promise<Browser> {
  // Loaded on use: a bench run without Chromium never loads playwright-core.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
