import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { createTestContext, type TestContext } from './context.js';
import { type HttpRecorder, startHttpRecorder } from './http-recorder.js';
import type { Backend } from './pg.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/telephony/', import.meta.url));
export const MEGAFON_TOKEN = 'test-crm-token-1';
export const MANGO_KEY = 'test-vpbx-api-key';
export const MANGO_SALT = 'test-vpbx-salt';

/** A fixture file's exact content. */
export function fixture(rel: string): string {
  return readFileSync(path.join(FIXTURES, rel), 'utf8');
}

/** Every fixture file under a provider folder, relative to fixtures/telephony/. */
export function fixtureFiles(provider: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(FIXTURES, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (!e.name.endsWith('.md')) out.push(rel);
    }
  };
  walk(provider);
  return out.sort();
}

/** Managers whose PBX logins differ from their CRM logins where it matters (petrova is `petrov` on the PBX). */
export function telephonyConfig(pbxBaseUrl: string): Partial<ConfigInput> {
  return {
    managers: [
      { login: 'ivanov', name: 'Иван Иванов', email: 'ivanov@mebel-fabrika.ru', pbxLogin: 'ivanov' },
      { login: 'petrova', name: 'Мария Петрова', email: 'petrova@mebel-fabrika.ru', pbxLogin: 'petrov' },
      { login: 'head', name: 'Анна Руководитель', email: 'head@mebel-fabrika.ru' },
    ],
    telephony: {
      megafon: [
        { account: 'main', crmToken: MEGAFON_TOKEN, baseUrl: pbxBaseUrl, apiKey: 'test-pbx-api-key' },
      ],
      mango: [{ account: 'mango1', apiKey: MANGO_KEY, apiSalt: MANGO_SALT, baseUrl: `${pbxBaseUrl}/vpbx` }],
      // The test PBX listens on loopback: allowed here only (a daemon refuses internal addresses).
      recordings: { retryBaseDelayMs: 60_000, maxAttempts: 3, allowPrivateNetworks: true },
    },
  };
}

/** The form Mango posts, signed the way its spec says (computed here independently of the code under test). */
export function signedForm(json: string, key = MANGO_KEY, salt = MANGO_SALT): string {
  const sign = createHash('sha256')
    .update(key + json + salt)
    .digest('hex');
  return new URLSearchParams({ vpbx_api_key: key, sign, json }).toString();
}

/** Posts a raw webhook body like the PBX does: no bearer token. */
export function postWebhook(
  ctx: TestContext,
  url: string,
  raw: string,
  contentType = 'application/x-www-form-urlencoded',
) {
  return ctx.request('POST', url, undefined, { token: null, raw, headers: { 'content-type': contentType } });
}

/**
 * Registers the hooks of a telephony test file: a recorder on loopback standing in for the PBX, and a test
 * context whose PBX accounts point at it. Read `h.ctx` / `h.pbx` inside tests (they exist from beforeAll on).
 */
export function telephonyHarness(backend: Backend): { ctx: TestContext; pbx: HttpRecorder } {
  const h = {} as { ctx: TestContext; pbx: HttpRecorder };
  beforeAll(async () => {
    h.pbx = await startHttpRecorder();
    h.ctx = await createTestContext(backend, telephonyConfig(h.pbx.url));
  });
  afterAll(async () => {
    await h.ctx?.close();
    await h.pbx?.close();
  });
  beforeEach(() => h.pbx.reset());
  return h;
}

/** GET /api/v1/calls/{id} of the call with this provider call key. */
export async function callByKey(ctx: TestContext, key: string) {
  const [row] = await ctx.db.sql<{ id: string }[]>`SELECT id FROM calls WHERE call_key = ${key}`;
  expect(row, `call ${key}`).toBeDefined();
  return (await ctx.request('GET', `/api/v1/calls/${row!.id}`)).body;
}
