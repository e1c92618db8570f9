import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { NUMBERING_PLAN_HEADER } from './numbering-plan.js';
import { createNumberingPlanService } from './numbering-plan-service.js';

const DEF = `\ufeff${NUMBERING_PLAN_HEADER}\n900;3200000;3299999;100000;ООО "Т2 МОБАЙЛ";-;Республика Татарстан;7743895280`;

describe('numbering plan service (daemon start)', () => {
  let dir: string;
  let lines: { level: number; msg: string }[];
  const log = () =>
    createLogger(
      'info',
      new Writable({
        write(chunk, _enc, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
  const service = () =>
    createNumberingPlanService({
      dir,
      log: log(),
      refreshHours: 0,
      download: { baseUrl: 'http://127.0.0.1:9/', userAgent: 'test' },
    });
  beforeEach(async () => {
    lines = [];
    dir = await mkdtemp(path.join(tmpdir(), 'sb-plan-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('without files: a warning, and landline area codes still resolve', async () => {
    const s = service();
    expect(await s.load()).toBe(false);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringContaining('numbering plan files not found') }),
    );
    expect(s.resolver().resolve('+78432000001')?.region).toBe('RU-TA');
    expect(s.resolver().resolve('+79003212345')).toBeUndefined();
  });

  it('loads the files into the index; a later broken file keeps the previous index', async () => {
    await writeFile(path.join(dir, 'DEF-9xx.csv'), DEF);
    const s = service();
    expect(await s.load()).toBe(true);
    expect(s.resolver().resolve('+79003212345')).toMatchObject({ region: 'RU-TA', source: 'numbering_plan' });
    await writeFile(path.join(dir, 'DEF-9xx.csv'), DEF.replace('Территория ГАР', 'Территория'));
    expect(await s.load()).toBe(false);
    expect(lines.at(-1)).toMatchObject({
      level: 50,
      msg: expect.stringContaining('numbering plan rejected'),
    });
    expect(s.resolver().resolve('+79003212345')?.region).toBe('RU-TA');
  });

  it('reports its state and reloads when the files change (a `geo:import` while running)', async () => {
    const s = service();
    await s.load();
    expect(s.status()).toMatchObject({ state: 'missing', reason: expect.stringContaining('not found') });
    expect(await s.checkForChanges()).toBe(false);
    await writeFile(path.join(dir, 'DEF-9xx.csv'), DEF);
    expect(await s.checkForChanges()).toBe(true);
    expect(s.status()).toEqual({
      state: 'loaded',
      files: ['DEF-9xx.csv'],
      ranges: 1,
      rows: 1,
      loadedAt: expect.any(String),
      filesDate: expect.any(String),
    });
    expect(Date.parse(s.status().filesDate!)).toBeLessThanOrEqual(Date.parse(s.status().loadedAt!));
    expect(s.resolver().resolve('+79003212345')?.region).toBe('RU-TA');
    expect(await s.checkForChanges()).toBe(false);
  });
});
