import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from './support/context.js';
import { backends } from './support/pg.js';

const REDOCLY = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string }[];
}

// The document a client generator or an API gateway reads: lint-clean under Redocly's recommended rules.
describe('GET /openapi.json', () => {
  let ctx: TestContext;
  let dir: string;
  // biome-ignore lint/suspicious/noExplicitAny: the document is JSON the test walks
  let doc: any;
  beforeAll(async () => {
    ctx = await createTestContext(backends()[0]!);
    dir = await mkdtemp(path.join(tmpdir(), 'sb-openapi-'));
    const res = await ctx.request('GET', '/openapi.json', undefined, { token: null });
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes redocly lint with no error and no warning', async () => {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc));
    const run = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', file, '--format=json'], {
      // Never phone home: no telemetry, no update check.
      env: { PATH: process.env.PATH ?? '', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((err: { stdout: string }) => err);
    const report = JSON.parse(run.stdout) as LintReport;
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('documents every operation with an id, the PBX webhooks and the webhook Switchboard sends', () => {
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item as object));
    const ids = ops.map((op) => op.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/webhooks/megafon/{account}',
        '/webhooks/mango/{account}/events/{event}',
        '/readyz',
      ]),
    );
    expect(doc.webhooks.slaAlert.post.operationId).toBe('slaAlert');
    expect(doc.servers).toHaveLength(1);
  });
});
