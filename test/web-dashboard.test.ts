import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analyticsConfig, PERIOD, seedAnalytics } from './support/analytics.js';
import { hasChromium, launchBrowser, signIn, startWebServer, type WebServer } from './support/browser.js';
import { backends } from './support/pg.js';
import { PASSWORD } from './support/web.js';

// Refreshed on request (SWITCHBOARD_SCREENSHOTS=1), like test/web-browser.test.ts; otherwise a temp directory.
const SHOTS = process.env.SWITCHBOARD_SCREENSHOTS
  ? new URL('../docs/screenshots/', import.meta.url).pathname
  : `${mkdtempSync(path.join(tmpdir(), 'sb-shots-'))}/`;

// 23–29 Nov 2026: the period the seeded dataset's answers are written for (test/support/analytics.ts).
const WEEK = '/dashboard?period=custom&from=2026-11-23&to=2026-11-29';
const api = (p: string, extra = '') => `/api/v1/analytics/${p}?from=${PERIOD.from}&to=${PERIOD.to}${extra}`;

// The request-level checks of the same figures run on both databases (test/analytics.test.ts); the browser on
// PostgreSQL.
describe.runIf(backends().includes('postgres'))('the dashboard in Chromium', () => {
  let server: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!hasChromium())
      throw new Error('Chromium is missing: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH');
    server = await startWebServer(await analyticsConfig());
    server.clock.set(new Date('2026-11-30T06:00:00Z'));
    await seedAnalytics(server.db.sql);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext({
      locale: 'ru-RU',
      timezoneId: 'Europe/Moscow',
      viewport: { width: 1366, height: 900 },
    });
    page = await context.newPage();
  });

  const figure = async (name: string) => ({
    value: await page.locator(`[data-figure="${name}"]`).getAttribute('data-value'),
    text: (await page.locator(`[data-figure="${name}"] .kpi-value`).textContent())?.trim(),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads the API's JSON field by field
  const apiJson = async (p: string): Promise<any> => {
    const res = await page.request.get(server.url + p);
    expect(res.status(), p).toBe(200);
    return res.json();
  };
  /** Non-blank pixels drawn on a canvas. */
  const inked = (id: string) =>
    page.evaluate<number>(`(() => {
      const c = document.getElementById(${JSON.stringify(id)});
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      return n;
    })()`);

  it('an admin sees the week’s figures equal to the API’s, with the week before, charts and the heat map drawn', async () => {
    await signIn(page, server.url, 'admin', PASSWORD);
    await page.getByRole('link', { name: 'Аналитика' }).click();
    await page.waitForURL(/\/dashboard/);
    await page.getByLabel('Период: с').fill('2026-11-23');
    await page.getByLabel('Период: по').fill('2026-11-29');
    await page.getByRole('button', { name: 'Показать' }).click();
    await page.waitForURL(/period=custom/);
    expect(await page.locator('.period-note').textContent()).toContain('23 нояб. – 29 нояб.');

    const summary = await apiJson(api('summary'));
    const sla = await apiJson(api('sla'));
    const now = await apiJson('/api/v1/analytics/now');
    // The page's figures are the API's, and both are the hand-written answers.
    const expected: [string, number | null, string][] = [
      ['newLeads', summary.current.newLeads, '4'],
      ['repeatLeads', summary.current.repeatLeads, '2'],
      ['attached', summary.current.attachedToLead + summary.current.attachedToDeal, '3'],
      ['takenMedianSeconds', summary.current.takenMedianSeconds, '25 мин'],
      ['firstResponseMedianSeconds', summary.current.firstResponseMedianSeconds, '13 мин'],
      ['conversionRate', summary.current.conversionRate, '33,3 %'],
      ['breachedLeads', sla.current.breachedLeads, '2'],
      ['unowned', now.unowned, '2'],
    ];
    for (const [name, apiValue, text] of expected) {
      const f = await figure(name);
      expect(Number(f.value), name).toBe(apiValue);
      expect(f.text, name).toBe(text);
    }
    // The previous period beside a figure, with the change.
    expect(await page.locator('[data-figure="newLeads"] .delta').textContent()).toContain('+2 (+100 %)');
    expect(await page.locator('[data-figure="newLeads"] .delta').textContent()).toContain('было 2');
    expect(await page.locator('[data-figure="takenMedianSeconds"] .delta.good').textContent()).toContain(
      '−55 мин',
    );

    // Breakdown tables match the API row by row.
    const managers = await apiJson(api('breakdown', '&by=manager'));
    const rows = page.locator('[data-breakdown="manager"] tbody tr');
    expect(await rows.count()).toBe(managers.rows.length);
    for (const [i, r] of managers.rows.entries()) {
      expect(await rows.nth(i).getAttribute('data-key')).toBe(r.key ?? '');
      expect(await rows.nth(i).locator('[data-col="leads"]').textContent()).toBe(String(r.leads));
      expect(await rows.nth(i).locator('[data-col="openNow"]').textContent()).toBe(String(r.openNow));
    }
    expect(await rows.nth(0).locator('th').textContent()).toBe('Иван Иванов');

    // Charts drawn by Chart.js from the local asset; the heat map is the API's, cell by cell.
    await expect.poll(() => page.locator('#dash-charts').getAttribute('data-drawn')).toBe('1');
    expect(await inked('chart-daily')).toBeGreaterThan(500);
    expect(await inked('chart-channels')).toBeGreaterThan(500);
    const heat = await apiJson(api('heatmap'));
    const cells = await page
      .locator('.heatmap tbody td')
      .evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-count'))));
    expect(cells).toEqual(heat.cells.flat());
    expect(cells.filter((n) => n > 0)).toEqual([2, 1, 2, 1]);
    expect(await page.locator('.heatmap td.hm5').count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}dashboard.png`, fullPage: true });
  });

  it('a supervisor sees their team’s figures and not another team’s', async () => {
    await signIn(page, server.url, 'rozn', PASSWORD);
    await page.goto(server.url + WEEK);
    expect((await figure('newLeads')).value).toBe('2');
    expect((await figure('repeatLeads')).value).toBe('1');
    expect((await figure('unowned')).value).toBe('1');
    const teams = await page
      .locator('[data-breakdown="team"] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
    expect(teams).toEqual(['retail']);
    expect(await page.getByText('Полина Третья').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Раиса Третья' }).count()).toBe(1);
    const other = await page.goto(`${server.url}${WEEK}&team=partners`);
    expect(other?.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('руководителям');
    // Their CSV export works, for their team only.
    const csv = await page.request.get(`${server.url}${api('breakdown', '&by=team&format=csv')}`);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).not.toContain('partners');
  });

  it('a manager has no dashboard: no link, the page and the CSV export are refused', async () => {
    await signIn(page, server.url, 'petrova', PASSWORD);
    expect(await page.getByRole('link', { name: 'Аналитика' }).count()).toBe(0);
    const res = await page.goto(`${server.url}/dashboard`);
    expect(res?.status()).toBe(403);
    const csv = await page.request.get(`${server.url}${api('summary', '&format=csv')}`);
    expect(csv.status()).toBe(403);
  });
});
