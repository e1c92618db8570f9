import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BROWSER_USER_AGENT } from '../config/routing.js';
import { loadNumberingPlan } from './load-numbering-plan.js';
import { NUMBERING_PLAN_HEADER } from './numbering-plan.js';
import { downloadNumberingPlan, importNumberingPlan } from './update.js';

const BOM = '\ufeff';
const DEF = `${BOM}${NUMBERING_PLAN_HEADER}\n900;3200000;3299999;100000;ООО "Т2 МОБАЙЛ";-;Республика Татарстан;7743895280\n900;1400000;1599999;200000;ООО "Т2 МОБАЙЛ";-;Город Москва, Московская область;7743895280`;
const ABC3 = `${BOM}${NUMBERING_PLAN_HEADER}\n301;2110000;2129999;20000;ПАО "Ростелеком";г. Улан-Удэ|Республика Бурятия;г. Улан-Удэ|г.о. город Улан-Удэ|Республика Бурятия;7707049388`;
// The 2023 layout: no "Территория ГАР" column.
const OLD_HEADER = `${BOM}АВС/ DEF;От;До;Емкость;Оператор;Регион;ИНН\n900;3200000;3299999;100000;x;Республика Татарстан;7743895280`;

/** A loopback stand-in for the open-data site: serves files by name and records each request's headers. */
describe('numbering plan download (against a loopback server)', () => {
  let server: Server;
  let baseUrl: string;
  let dir: string;
  const files = new Map<string, { status: number; body: string }>();
  const requests: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', headers: req.headers });
      if (req.headers['user-agent'] !== BROWSER_USER_AGENT) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const f = files.get(path.basename(req.url ?? ''));
      if (!f) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(f.status, { 'content-type': 'text/csv' }).end(f.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/downloads/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(async () => {
    files.clear();
    requests.length = 0;
    dir = await mkdtemp(path.join(tmpdir(), 'sb-geo-'));
    return () => rm(dir, { recursive: true, force: true });
  });

  it('fetches every file with the browser User-Agent, validates and installs them, and the index loads', async () => {
    files.set('DEF-9xx.csv', { status: 200, body: DEF });
    files.set('ABC-3xx.csv', { status: 200, body: ABC3 });
    const outcome = await downloadNumberingPlan({ baseUrl, dir, userAgent: BROWSER_USER_AGENT });
    expect(outcome.installed.map((f) => f.file).sort()).toEqual(['ABC-3xx.csv', 'DEF-9xx.csv']);
    expect(outcome.failed.map((f) => f.file).sort()).toEqual(['ABC-4xx.csv', 'ABC-8xx.csv']);
    expect(outcome.failed[0]!.error).toContain('HTTP 404');
    expect(requests.map((r) => r.url).sort()).toEqual([
      '/downloads/ABC-3xx.csv',
      '/downloads/ABC-4xx.csv',
      '/downloads/ABC-8xx.csv',
      '/downloads/DEF-9xx.csv',
    ]);
    expect(new Set(requests.map((r) => r.headers['user-agent']))).toEqual(new Set([BROWSER_USER_AGENT]));
    const plan = await loadNumberingPlan(dir);
    expect(plan?.index.lookup('+79003212345')?.region).toBe('RU-TA');
    expect(plan?.index.lookup('+73012115555')?.region).toBe('RU-BU');
  });

  it('a curl-like User-Agent is refused by the publisher: reported, nothing installed', async () => {
    files.set('DEF-9xx.csv', { status: 200, body: DEF });
    const outcome = await downloadNumberingPlan({
      baseUrl,
      dir,
      userAgent: 'curl/8.0',
      files: ['DEF-9xx.csv'],
    });
    expect(outcome).toEqual({
      installed: [],
      failed: [{ file: 'DEF-9xx.csv', error: expect.stringContaining('HTTP 403') }],
    });
    expect(await loadNumberingPlan(dir)).toBeUndefined();
  });

  it('a changed header is rejected loudly and the installed file is kept', async () => {
    await writeFile(path.join(dir, 'DEF-9xx.csv'), DEF);
    files.set('DEF-9xx.csv', { status: 200, body: OLD_HEADER });
    const outcome = await downloadNumberingPlan({
      baseUrl,
      dir,
      userAgent: BROWSER_USER_AGENT,
      files: ['DEF-9xx.csv'],
    });
    expect(outcome.installed).toEqual([]);
    expect(outcome.failed[0]!.error).toMatch(
      /registry header changed \(column 7 is "ИНН", expected "Территория ГАР"\)/,
    );
    expect(await readFile(path.join(dir, 'DEF-9xx.csv'), 'utf8')).toBe(DEF);
  });

  it('import validates local files and refuses unknown names', async () => {
    const src = await mkdtemp(path.join(tmpdir(), 'sb-geo-src-'));
    try {
      await writeFile(path.join(src, 'DEF-9xx.csv'), DEF);
      await writeFile(path.join(src, 'ABC-4xx.csv'), OLD_HEADER);
      await writeFile(path.join(src, 'numbers.csv'), DEF);
      const outcome = await importNumberingPlan(
        ['DEF-9xx.csv', 'ABC-4xx.csv', 'numbers.csv'].map((f) => path.join(src, f)),
        dir,
      );
      expect(outcome.installed).toEqual([
        { file: 'DEF-9xx.csv', bytes: Buffer.byteLength(DEF), rows: 2, geographicRows: 2 },
      ]);
      expect(outcome.failed.map((f) => path.basename(f.file))).toEqual(['ABC-4xx.csv', 'numbers.csv']);
      expect(outcome.failed[0]!.error).toContain('registry header changed');
      expect(outcome.failed[1]!.error).toContain('not a registry file name');
    } finally {
      await rm(src, { recursive: true, force: true });
    }
  });
});
