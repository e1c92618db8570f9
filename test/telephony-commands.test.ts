import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backends } from './support/pg.js';
import { fixture, postWebhook, telephonyHarness } from './support/telephony.js';

const AUDIO = new Uint8Array([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]);

describe.each(backends())('PBX commands and recordings on %s', (backend) => {
  const h = telephonyHarness(backend);

  it("click-to-call goes to REST makecall with X-API-KEY, the manager's PBX login and digits without +", async () => {
    h.pbx.on('POST /crmapi/v1/makecall', () => ({ body: '{"callid":"c2c-1"}' }));
    const r = await h.ctx.request('POST', '/api/v1/calls', {
      manager: 'petrova',
      phone: '8 (916) 123-45-67',
    });
    expect(r).toEqual({
      status: 200,
      body: { account: 'main', pbxUser: 'petrov', callId: 'c2c-1', api: 'rest' },
    });
    expect(h.pbx.requests).toHaveLength(1);
    const [req] = h.pbx.requests;
    expect(req!.headers['x-api-key']).toBe('test-pbx-api-key');
    expect(JSON.parse(req!.body)).toEqual({ user: 'petrov', phone: '79161234567' });
  });

  it('falls back to the legacy crm_api.wcgp when the tenant has no REST API', async () => {
    h.pbx.on('POST /sys/crm_api.wcgp', () => ({ body: '{"CallID":"legacy-7"}' }));
    const r = await h.ctx.request('POST', '/api/v1/calls', { manager: 'ivanov', phone: '+7 916 123 45 67' });
    expect(r.body).toMatchObject({ callId: 'legacy-7', api: 'legacy', pbxUser: 'ivanov' });
    expect(h.pbx.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'POST /crmapi/v1/makecall',
      'POST /sys/crm_api.wcgp',
    ]);
    expect(Object.fromEntries(new URLSearchParams(h.pbx.requests[1]!.body))).toEqual({
      cmd: 'makeCall',
      token: 'test-pbx-api-key',
      user: 'ivanov',
      phone: '79161234567',
    });
  });

  it('reports a PBX refusal as 502 and refuses managers without a PBX login', async () => {
    h.pbx.on('POST /crmapi/v1/makecall', () => ({ status: 400, body: '{"message":"user not found"}' }));
    const refused = await h.ctx.request('POST', '/api/v1/calls', { manager: 'ivanov', phone: '79161234567' });
    expect(refused.status).toBe(502);
    expect(refused.body.error).toMatchObject({ code: 'upstream_failed' });
    expect(refused.body.error.message).toContain('user not found');
    const noLogin = await h.ctx.request('POST', '/api/v1/calls', { manager: 'head', phone: '79161234567' });
    expect(noLogin.status).toBe(422);
    const badPhone = await h.ctx.request('POST', '/api/v1/calls', { manager: 'ivanov', phone: '12' });
    expect(badPhone.status).toBe(400);
    expect(
      (
        await h.ctx.request(
          'POST',
          '/api/v1/calls',
          { manager: 'ivanov', phone: '79161234567' },
          { token: null },
        )
      ).status,
    ).toBe(401);
  });

  it('imports PBX users and maps logins to managers by config, e-mail and login', async () => {
    h.pbx.on('GET /crmapi/v1/users', () => ({
      body: JSON.stringify({
        items: [
          { login: 'ivanov', name: 'Иванов', ext: '701', email: 'ivanov@mebel-fabrika.ru' },
          { login: 'petrov', name: 'Петрова', ext: '702' },
          { login: 'anna.r', name: 'Анна', ext: 703, email: 'HEAD@mebel-fabrika.ru' },
          { login: 'reception', name: 'Ресепшн', ext: '700' },
        ],
        info: { start: 0, limit: 100, total: 4 },
      }),
    }));
    const r = await h.ctx.request('POST', '/api/v1/telephony/megafon/main/users/import');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      imported: 4,
      matched: [
        { login: 'ivanov', manager: 'ivanov', by: 'config' },
        { login: 'petrov', manager: 'petrova', by: 'config' },
        { login: 'anna.r', manager: 'head', by: 'email' },
      ],
      unmatched: [{ login: 'reception', name: 'Ресепшн' }],
    });
    expect(h.pbx.requests[0]!.headers['x-api-key']).toBe('test-pbx-api-key');
    // head had no PBX login in config; the import gave her one, so calls can now be routed to her.
    await h.ctx.request('PUT', '/api/v1/contacts/imported-map', {
      phones: ['79265551212'],
      responsible: 'head',
    });
    const contact = await postWebhook(
      h.ctx,
      '/webhooks/megafon/main',
      'cmd=contact&phone=79265551212&crm_token=test-crm-token-1',
    );
    expect(contact.body).toEqual({ responsible: 'anna.r' });
  });

  it('copies a recording in the background with retries, then serves it', async () => {
    // The fixture's link points at the tenant; here the tenant is the recorder on loopback.
    const history = fixture('megafon/answered-call/07-history.form').replace(
      encodeURIComponent('https://acme.megapbx.ru'),
      encodeURIComponent(h.pbx.url),
    );
    expect((await postWebhook(h.ctx, '/webhooks/megafon/main', history)).status).toBe(200);
    await h.ctx.processor.drain();
    const [row] = await h.ctx.db.sql<{ id: string }[]>`
      SELECT id FROM calls WHERE call_key = '4f2a9c1e-7b1d-4e55-9a0b-2f1c7d3e8a10'`;
    const callId = row!.id;
    expect((await h.ctx.request('GET', `/api/v1/calls/${callId}/recording`)).status).toBe(404);

    // The file is not there yet when the record arrives.
    let ready = false;
    h.pbx.on('GET /sys/records/4f2a9c1e/record.mp3', () =>
      ready ? { headers: { 'content-type': 'audio/mpeg' }, body: AUDIO } : { status: 404, body: '' },
    );
    expect(await h.ctx.telephony.recordings.runOnce()).toBe(0);
    let call = (await h.ctx.request('GET', `/api/v1/calls/${callId}`)).body;
    expect(call.recording).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 404' });
    // Not due again before its backoff.
    expect(await h.ctx.telephony.recordings.runOnce()).toBe(0);
    expect(h.pbx.requests.filter((q) => q.path.endsWith('record.mp3'))).toHaveLength(1);

    ready = true;
    h.ctx.clock.advance(61_000);
    expect(await h.ctx.telephony.recordings.runOnce()).toBe(1);
    const fetches = h.pbx.requests.filter((q) => q.path.endsWith('record.mp3'));
    expect(fetches).toHaveLength(2);
    // Same origin as the tenant: the API key goes along.
    expect(fetches[1]!.headers['x-api-key']).toBe('test-pbx-api-key');
    call = (await h.ctx.request('GET', `/api/v1/calls/${callId}`)).body;
    expect(call.recording).toMatchObject({
      status: 'stored',
      attempts: 2,
      contentType: 'audio/mpeg',
      bytes: AUDIO.length,
    });
    expect(await readFile(path.join(h.ctx.dataDir, 'recordings', `${callId}.mp3`))).toEqual(
      Buffer.from(AUDIO),
    );

    const res = await h.ctx.app.request(`/api/v1/calls/${callId}/recording`, {
      headers: { authorization: 'Bearer test-token-0123456789' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(AUDIO);
  });

  it('gives up on a recording after maxAttempts and keeps the reason', async () => {
    const body = `cmd=history&type=in&status=Success&phone=79265557788&user=ivanov&start=20240319T100000Z&duration=30&link=${encodeURIComponent(`${h.pbx.url}/gone.mp3`)}&callid=gone-1&crm_token=test-crm-token-1`;
    await postWebhook(h.ctx, '/webhooks/megafon/main', body);
    await h.ctx.processor.drain();
    h.pbx.on('GET /gone.mp3', () => ({ status: 410, body: '' }));
    for (let i = 0; i < 3; i++) {
      await h.ctx.telephony.recordings.runOnce();
      h.ctx.clock.advance(10 * 60_000);
    }
    const [rec] = await h.ctx.db.sql`
      SELECT r.status, r.attempts, r.last_error FROM call_recordings r JOIN calls c ON c.id = r.call_id
      WHERE c.call_key = 'gone-1'`;
    expect(rec).toEqual({ status: 'failed', attempts: 3, lastError: 'HTTP 410' });
    expect(h.pbx.requests.filter((q) => q.path === '/gone.mp3')).toHaveLength(3);
    // Failed for good: no further attempts.
    h.ctx.clock.advance(24 * 3600_000);
    await h.ctx.telephony.recordings.runOnce();
    expect(h.pbx.requests.filter((q) => q.path === '/gone.mp3')).toHaveLength(3);
  });
});
