import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, inboundBody, type TestContext } from './support/context.js';
import { type HttpRecorder, startHttpRecorder } from './support/http-recorder.js';
import { type Backend, backends } from './support/pg.js';
import { MEGAFON_TOKEN, postWebhook, telephonyConfig } from './support/telephony.js';

const MAIN = '/webhooks/megafon/main';

/** A test context whose PBX is `pbx`: 1 s request and idle timeouts, recording settings on top. */
function contextFor(
  backend: Backend,
  pbx: HttpRecorder,
  over: { recordings?: Record<string, unknown>; recordingHosts?: string[] } = {},
) {
  const base = telephonyConfig(pbx.url);
  const t = base.telephony!;
  return createTestContext(backend, {
    ...base,
    telephony: {
      ...t,
      requestTimeoutMs: 1_000,
      megafon: t.megafon!.map((a) => ({
        ...a,
        ...(over.recordingHosts ? { recordingHosts: over.recordingHosts } : {}),
      })),
      recordings: { ...t.recordings, idleTimeoutMs: 1_000, ...over.recordings },
    },
  });
}

/** A MegaFon history with a recording link; returns the calls row id once processed. */
async function historyWithLink(ctx: TestContext, callid: string, link: string): Promise<string> {
  const body = new URLSearchParams({
    cmd: 'history',
    type: 'in',
    status: 'Success',
    phone: '79265557788',
    user: 'ivanov@acme.megapbx.ru',
    start: '20261130T100000Z',
    duration: '600',
    link,
    callid,
    crm_token: MEGAFON_TOKEN,
  }).toString();
  expect((await postWebhook(ctx, MAIN, body)).status).toBe(200);
  await ctx.processor.drain();
  const [row] = await ctx.db.sql<{ id: string }[]>`SELECT id FROM calls WHERE call_key = ${callid}`;
  return row!.id;
}

async function recordingOf(ctx: TestContext, callId: string) {
  return (await ctx.request('GET', `/api/v1/calls/${callId}`)).body.recording;
}

describe.each(backends())('recording downloads on %s', (backend) => {
  describe('time limits: a stalled transfer, not a long one', () => {
    let pbx: HttpRecorder;
    let ctx: TestContext;
    beforeAll(async () => {
      pbx = await startHttpRecorder();
      ctx = await contextFor(backend, pbx, {});
    });
    afterAll(async () => {
      await ctx?.close();
      await pbx?.close();
    });
    beforeEach(() => pbx.reset());

    it('a recording that keeps flowing for longer than the idle timeout is copied whole', async () => {
      const callId = await historyWithLink(ctx, 'long-rec-1', `${pbx.url}/sys/records/long.mp3`);
      const chunk = new Uint8Array(4096).fill(7);
      // 8 chunks 250 ms apart: about 2 s in all, twice the 1 s idle (and request) timeout.
      pbx.on('GET /sys/records/long.mp3', () => ({
        headers: { 'content-type': 'audio/mpeg' },
        body: 'ID3',
        chunks: Array.from({ length: 8 }, () => chunk),
        chunkIntervalMs: 250,
      }));
      const started = performance.now();
      expect(await ctx.telephony.recordings.runOnce()).toBe(1);
      expect(performance.now() - started).toBeGreaterThan(1_500);
      expect(await recordingOf(ctx, callId)).toMatchObject({ status: 'stored', bytes: 3 + 8 * 4096 });
      const file = await readFile(path.join(ctx.dataDir, 'recordings', `${callId}.mp3`));
      expect(file.length).toBe(3 + 8 * 4096);
    });

    it('a transfer that stops sending is abandoned after the idle timeout and retried later', async () => {
      const callId = await historyWithLink(ctx, 'stalled-rec-1', `${pbx.url}/sys/records/stalled.mp3`);
      pbx.on('GET /sys/records/stalled.mp3', () => ({
        headers: { 'content-type': 'audio/mpeg' },
        body: 'ID3',
        chunks: ['abc'],
        chunkIntervalMs: 100,
        stall: true,
      }));
      const started = performance.now();
      expect(await ctx.telephony.recordings.runOnce()).toBe(0);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(await recordingOf(ctx, callId)).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastError: 'stalled: nothing received for 1000 ms',
      });
      // No half file is left behind.
      await expect(readFile(path.join(ctx.dataDir, 'recordings', `${callId}.mp3`))).rejects.toThrow();
    });
  });

  describe('only the PBX: http(s), its own hosts, never internal addresses', () => {
    let pbx: HttpRecorder;
    let ctx: TestContext;
    let port: string;
    beforeAll(async () => {
      pbx = await startHttpRecorder();
      port = new URL(pbx.url).port;
      // As in production: internal addresses refused. `localhost` is allow-listed to show that the resolved
      // address is checked, not only the literal host.
      ctx = await contextFor(backend, pbx, {
        recordings: { allowPrivateNetworks: false, allowedHosts: ['pbx.example.net'] },
        recordingHosts: ['127.0.0.1', 'localhost', 'acme.megapbx.ru'],
      });
    });
    afterAll(async () => {
      await ctx?.close();
      await pbx?.close();
    });
    beforeEach(() => pbx.reset());

    it.each([
      [
        'a loopback address on the allow-list',
        'refused-loopback',
        () => `http://127.0.0.1:${port}/sys/rec.mp3`,
        'refused 127.0.0.1',
      ],
      [
        'a name on the allow-list that resolves to loopback',
        'refused-rebinding',
        () => `http://localhost:${port}/sys/rec.mp3`,
        'refused localhost: it resolves to a loopback',
      ],
      [
        'a host that is not the PBX',
        'refused-foreign',
        // A documentation address (TEST-NET-3): public, never routed, and not the PBX.
        () => 'http://203.0.113.7/sys/rec.mp3',
        'refused host 203.0.113.7: not one of the account',
      ],
    ])('refuses %s, without a request and for good', async (_name, key, link, reason) => {
      const callId = await historyWithLink(ctx, key, link());
      pbx.on('GET /sys/rec.mp3', () => ({ headers: { 'content-type': 'audio/mpeg' }, body: 'ID3' }));
      expect(await ctx.telephony.recordings.runOnce()).toBe(0);
      const rec = await recordingOf(ctx, callId);
      expect(rec).toMatchObject({ status: 'failed', attempts: 1 });
      expect(rec.lastError).toContain(reason);
      expect(pbx.requests).toEqual([]);
    });

    it('a javascript: or file: link is never queued; the call keeps the reason', async () => {
      for (const [key, link] of [
        ['js-link-1', 'javascript:fetch("//evil")'],
        ['file-link-1', 'file:///etc/passwd'],
      ] as const) {
        const callId = await historyWithLink(ctx, key, link);
        const call = (await ctx.request('GET', `/api/v1/calls/${callId}`)).body;
        expect(call.recording).toBeNull();
        expect(call.recordingUrl).toBeNull();
        expect(call.parseIssues).toEqual([
          { field: 'link', issue: expect.stringMatching(/^a (javascript|file): link, not http\(s\)/) },
        ]);
      }
    });

    it('a generic call may link only to telephony.recordings.allowedHosts and only over http(s)', async () => {
      const r = await ctx.request(
        'POST',
        '/api/v1/inbound',
        inboundBody({
          channel: 'phone',
          account: 'zadarma',
          subject: undefined,
          text: undefined,
          from: { phones: ['+7 (903) 555-77-00'] },
          call: { state: 'answered', recordingUrl: 'file:///etc/passwd' },
        }),
      );
      expect(r.status).toBe(200);
      expect(await ctx.telephony.recordings.runOnce()).toBe(0);
      const [row] = await ctx.db.sql<{ status: string; lastError: string }[]>`
        SELECT r.status, r.last_error FROM call_recordings r JOIN calls c ON c.id = r.call_id
        WHERE c.message_id = ${r.body.decision.messageId}`;
      expect(row).toEqual({
        status: 'failed',
        lastError: 'refused a file: link: only http(s) recordings are fetched',
      });
    });
  });
});
