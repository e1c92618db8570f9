import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeoDataError } from './errors.js';
import { loadNumberingPlan } from './load-numbering-plan.js';
import { NUMBERING_PLAN_HEADER } from './numbering-plan.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const rossvyazDir = path.resolve(repoRoot, '../shared/data/rossvyaz');
const hasDefFile = existsSync(path.join(rossvyazDir, 'DEF-9xx.csv'));

const file = (...rows: string[]): string => `\uFEFF${[NUMBERING_PLAN_HEADER, ...rows].join('\n')}`;

describe('loadNumberingPlan', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'geo-load-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns undefined for a missing directory or one without registry files', async () => {
    expect(await loadNumberingPlan(path.join(dir, 'nope'))).toBeUndefined();
    expect(await loadNumberingPlan(dir)).toBeUndefined();
  });

  it('loads whichever files exist into one index and sums the stats', async () => {
    await writeFile(
      path.join(dir, 'ABC-3xx.csv'),
      file(
        '301;2110000;2129999;20000;ПАО "Ростелеком";-;г. Улан-Удэ|г.о. город Улан-Удэ|Республика Бурятия;7707049388',
        '302;0000000;0000999;1000;X;Забайкальская губерния;Забайкальская губерния;1',
      ),
    );
    await writeFile(
      path.join(dir, 'ABC-8xx.csv'),
      file(
        '800;3470000;3479999;10000;ПАО "БАШИНФОРМСВЯЗЬ";Республика Башкортостан;Республика Башкортостан;0274018377',
        '800;0000000;0009999;10000;Y;Российская Федерация;Российская Федерация;2',
        '802;0000000;0000999;1000;X;-;Забайкальская губерния;1',
      ),
    );
    const loaded = await loadNumberingPlan(dir);
    expect(loaded?.stats).toEqual({
      files: ['ABC-3xx.csv', 'ABC-8xx.csv'],
      rows: 5,
      geographicRows: 2,
      nonGeographicRows: 1,
      unresolvedRows: 2,
      legacyColumnRows: 0,
      unknownSpellings: [
        { column: 'Территория ГАР', value: 'Забайкальская губерния', rows: 2 },
        { column: 'Регион', value: 'Забайкальская губерния', rows: 1 },
      ],
      index: { inputRanges: 2, entries: 2, merged: 0, overlaps: 0 },
    });
    expect(loaded?.index.lookup('+73012115555')?.region).toBe('RU-BU');
    expect(loaded?.index.lookup('+78003471234')?.region).toBe('RU-BA');
  });

  it('fails loudly when one of the files has a changed header', async () => {
    await writeFile(path.join(dir, 'ABC-4xx.csv'), 'ABC/DEF;От;До;Емкость;Оператор;Регион;ИНН\n');
    await expect(loadNumberingPlan(dir)).rejects.toThrow(GeoDataError);
    await expect(loadNumberingPlan(dir)).rejects.toThrow(/^ABC-4xx\.csv:1: registry header changed/);
  });

  it.skipIf(!hasDefFile)('loads the real DEF-9xx.csv with no unknown spellings', async () => {
    const loaded = await loadNumberingPlan(rossvyazDir);
    expect(loaded?.stats).toMatchObject({ files: ['DEF-9xx.csv'], rows: 17059, unknownSpellings: [] });
    expect(loaded?.stats.index.overlaps).toBe(0);
    expect(loaded?.index.lookup('+79161234567')?.region).toBe('RU-MOW+RU-MOS');
  });
});
