import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageMedia } from '../src/web/services/media.js';
import { createTestContext, decisionBatches, TEST_TOKEN, type TestContext } from './support/context.js';
import { type HttpRecorder, startHttpRecorder } from './support/http-recorder.js';
import {
  type FakeVk,
  fixtureJson,
  fixtureText,
  startFakeAvito,
  startFakeVk,
} from './support/messenger-fakes.js';
import { backends } from './support/pg.js';
import { cookieJar, PASSWORD, webConfig } from './support/web.js';

const VK_SECRET = 's3cr3t-from-vk-settings';
const GROUP = 199493573;
const AVITO_USER = 161605962;
const HOOK_SECRET = 'avito-hook-secret-0123456789';
const VIBER_TOKEN = '445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9';
let seq = 50_000_000 + Math.floor(Math.random() * 1_000_000);

// The CDN on loopback: every test's files live under their own prefix.
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 300 }, (_, i) => i % 256)]);
const PDF = Buffer.from('%PDF-1.4 размеры шкафа\n%%EOF');
const OGG = Buffer.from('OggS fake voice bytes');
const MAX_BYTES = 1000;

const media = {
  hosts: ['127.0.0.1'],
  allowPrivateNetworks: true,
  maxBytes: MAX_BYTES,
  maxAttempts: 3,
  retryBaseDelayMs: 1000,
  idleTimeoutMs: 2000,
};

describe.each(backends())('messenger attachments copied into the database on %s', (backend) => {
  let ctx: TestContext;
  let cdn: HttpRecorder;
  let vk: FakeVk;
  let avito: Awaited<ReturnType<typeof startFakeAvito>>;
  beforeAll(async () => {
    cdn = await startHttpRecorder();
    vk = await startFakeVk();
    avito = await startFakeAvito(AVITO_USER);
    ctx = await createTestContext(
      backend,
      await webConfig({
        channels: {
          vk: [
            {
              account: 'main',
              groupId: GROUP,
              token: 'vk-token',
              secret: VK_SECRET,
              confirmation: 'a1b2c3d4',
              apiRoot: vk.url,
              media,
            },
          ],
          avito: [
            {
              account: 'main',
              clientId: 'avito-client',
              clientSecret: 'avito-client-secret',
              userId: AVITO_USER,
              webhookSecret: HOOK_SECRET,
              apiRoot: avito.url,
              media,
            },
          ],
          viber: [
            { account: 'bot', token: VIBER_TOKEN, senderName: 'Мебель-Фабрика', apiRoot: cdn.url, media },
          ],
        },
      }),
    );
  });
  afterAll(async () => {
    await ctx?.close();
    await Promise.all([cdn?.close(), vk?.close(), avito?.close()]);
  });
  beforeEach(() => cdn.reset());

  const webhook = (path: string, body: string, headers: Record<string, string> = {}) => {
    ctx.clock.advance(1000);
    return ctx.request('POST', path, undefined, {
      token: null,
      raw: body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  };
  const viberMessage = (message: Record<string, unknown>) => {
    const user = `m${++seq}Ab==`;
    // The fixture's shape with our message; the token stays a bare 64-bit number, as Viber sends it.
    const { message_token: _token, ...rest } = JSON.parse(fixtureText('viber/message-text.json'));
    const fields = JSON.stringify({ ...rest, sender: { ...rest.sender, id: user }, message });
    const body = `{"message_token":${4912661846655238145n + BigInt(++seq)},${fields.slice(1)}`;
    const signature = createHmac('sha256', VIBER_TOKEN).update(body).digest('hex');
    return webhook('/webhooks/viber/bot', body, { 'x-viber-content-signature': signature });
  };
  const rows = (messageId: string) =>
    ctx.db.sql<{ id: string; status: string; kind: string; attempts: number; lastError: string | null }[]>`
      SELECT id, status, kind, attempts, last_error FROM message_media WHERE message_id = ${messageId} ORDER BY position`;
  const lastMessage = async (channel: string) => {
    const [m] = await ctx.db.sql<{ id: string }[]>`
      SELECT id FROM messages WHERE channel = ${channel} ORDER BY created_at DESC, occurred_at DESC LIMIT 1`;
    return m!.id;
  };

  async function signIn(login: string) {
    const jar = cookieJar();
    const res = await ctx.app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ login, password: PASSWORD, next: '/' }).toString(),
    });
    jar.store(res);
    return (path: string, init: RequestInit = {}) =>
      ctx.app.request(path, { ...init, headers: { cookie: jar.header(), ...(init.headers ?? {}) } });
  }

  it('VK: a photo, a document and a voice message are stored; the lead page gets them, only its people may open them', async () => {
    const prefix = `/vk${++seq}`;
    cdn.on(`GET ${prefix}/photo.jpg`, () => ({ headers: { 'content-type': 'image/jpeg' }, body: JPEG }));
    // VK serves documents without a useful type: the name decides.
    cdn.on(`GET ${prefix}/doc`, () => ({
      headers: { 'content-type': 'application/octet-stream' },
      body: PDF,
    }));
    cdn.on(`GET ${prefix}/v.mp3`, () => ({ headers: { 'content-type': 'audio/mpeg' }, body: OGG }));
    const body = fixtureJson('vk/message_new-attachments.json');
    const user = ++seq;
    body.event_id = `media-${user}`;
    Object.assign(body.object.message, { from_id: user, peer_id: user, conversation_message_id: 1 });
    const [photo, doc, voice] = body.object.message.attachments;
    photo.photo.sizes[1].url = `${cdn.url}${prefix}/photo.jpg`;
    doc.doc.url = `${cdn.url}${prefix}/doc?hash=0a1b2c`;
    voice.audio_message.link_mp3 = `${cdn.url}${prefix}/v.mp3`;
    body.object.message.attachments.push({ type: 'video', video: { id: 1, owner_id: user, title: 'обзор' } });

    expect((await webhook('/webhooks/vk/main', JSON.stringify(body))).status).toBe(200);
    const messageId = await lastMessage('vk');
    // Queued with the decision; the video (a page on vk.com, not a file) is not.
    expect((await rows(messageId)).map((r) => [r.kind, r.status])).toEqual([
      ['photo', 'pending'],
      ['file', 'pending'],
      ['voice', 'pending'],
    ]);

    expect(await ctx.media.runOnce()).toBe(3);
    const list = (await messageMedia(ctx.db.sql, [messageId])).get(messageId)!;
    expect(list.map((m) => [m.kind, m.status, m.contentType, m.bytes, m.name])).toEqual([
      ['photo', 'stored', 'image/jpeg', JPEG.length, null],
      ['file', 'stored', 'application/pdf', PDF.length, 'размеры.pdf'],
      ['voice', 'stored', 'audio/mpeg', OGG.length, null],
    ]);
    expect(list[0]!.href).toBe(`/media/${list[0]!.id}`);
    // Nothing left to do: a second pass fetches nothing.
    expect(await ctx.media.runOnce()).toBe(0);
    expect(cdn.requests).toHaveLength(3);

    // The lead is retail's: petrova opens the files, ivanov (partners) is refused, a visitor signs in first.
    const petrova = await signIn('petrova');
    const image = await petrova(list[0]!.href!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(image.headers.get('content-disposition')).toMatch(/^inline/);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(JPEG);
    const pdf = await petrova(list[1]!.href!);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(
      `attachment; filename*=UTF-8''${encodeURIComponent('размеры.pdf')}`,
    );
    expect(Buffer.from(await pdf.arrayBuffer())).toEqual(PDF);
    // The thread shows our copies, not the provider's links (which expire).
    const [msg] = await ctx.db.sql<
      { leadId: string }[]
    >`SELECT lead_id FROM messages WHERE id = ${messageId}`;
    const html = await (await petrova(`/leads/${msg!.leadId}`)).text();
    expect(html).toContain(`<img src="${list[0]!.href}"`);
    expect(html).toContain(`href="${list[1]!.href}"`);
    expect(html).toContain(`src="${list[2]!.href}"`);
    expect(html).not.toContain(`${cdn.url}${prefix}/photo.jpg`);
    expect((await (await signIn('ivanov'))(list[0]!.href!)).status).toBe(403);
    expect((await (await signIn('admin'))(list[2]!.href!)).status).toBe(200);
    expect((await ctx.app.request(list[0]!.href!)).status).toBe(303);
    expect((await petrova('/media/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await petrova('/media/not-a-uuid')).status).toBe(404);

    // API clients (a bearer token) get the same list and files under /api/v1.
    const api = await ctx.request('GET', `/api/v1/messages/${messageId}/media`);
    expect(api.status).toBe(200);
    expect(api.body.media.map((m: { status: string; href: string }) => [m.status, m.href])).toEqual(
      list.map((m) => ['stored', `/api/v1/media/${m.id}`]),
    );
    const viaApi = await ctx.app.request(`/api/v1/media/${list[2]!.id}`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(viaApi.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await viaApi.arrayBuffer())).toEqual(OGG);
    expect((await ctx.app.request(`/api/v1/media/${list[2]!.id}`)).status).toBe(401);
    expect((await ctx.request('GET', '/api/v1/media/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect(
      (await ctx.request('GET', '/api/v1/messages/00000000-0000-4000-8000-000000000000/media')).status,
    ).toBe(404);
  });

  it('messages decided in one batch each get their own attachments queued', async () => {
    const prefix = `/batch${++seq}`;
    const urls = [1, 2, 3].map((n) => `${cdn.url}${prefix}/photo-${n}.jpg`);
    const before = await decisionBatches(ctx);
    const answers = await Promise.all(
      urls.map((media) => viberMessage({ type: 'picture', text: 'фото', media, size: 10 })),
    );
    for (const res of answers) expect(res.status).toBe(200);
    await ctx.processor.drain();
    const after = await decisionBatches(ctx);
    expect(after.events - before.events).toBe(3);
    expect(after.batches - before.batches, 'the three were decided together').toBeLessThan(3);
    const queued = await ctx.db.sql<{ messageId: string; sourceUrl: string; position: number }[]>`
      SELECT mm.message_id, mm.source_url, mm.position FROM message_media mm
      JOIN messages m ON m.id = mm.message_id
      WHERE mm.source_url = ANY(${urls}::text[]) ORDER BY mm.source_url`;
    expect(queued.map((q) => q.sourceUrl)).toEqual(urls);
    expect(new Set(queued.map((q) => q.messageId)).size).toBe(3);
    expect(queued.every((q) => q.position === 0)).toBe(true);
  });

  it('Viber: an expired link is recorded as such, a file over the cap is not copied, an outage is retried', async () => {
    const prefix = `/viber${++seq}`;
    cdn.on(`GET ${prefix}/gone.jpg`, () => ({ status: 404, body: '' }));
    cdn.on(`GET ${prefix}/big.mp4`, () => ({
      headers: { 'content-type': 'video/mp4' },
      body: Buffer.alloc(MAX_BYTES + 1),
    }));
    // No Content-Length up front: the cap is counted while reading.
    cdn.on(`GET ${prefix}/chunked.mp4`, () => ({
      headers: { 'content-type': 'video/mp4' },
      chunks: [Buffer.alloc(600), Buffer.alloc(600)],
    }));
    let up = false;
    cdn.on(`GET ${prefix}/later.pdf`, () =>
      up ? { headers: { 'content-type': 'application/pdf' }, body: PDF } : { status: 503, body: '' },
    );

    const sent = [
      { type: 'picture', text: 'вот', media: `${cdn.url}${prefix}/gone.jpg`, size: 10 },
      { type: 'video', media: `${cdn.url}${prefix}/big.mp4`, size: MAX_BYTES + 1, duration: 3 },
      { type: 'video', media: `${cdn.url}${prefix}/chunked.mp4`, duration: 3 },
      { type: 'file', media: `${cdn.url}${prefix}/later.pdf`, file_name: 'счёт.pdf', size: PDF.length },
    ];
    const ids: string[] = [];
    for (const m of sent) {
      const res = await viberMessage(m);
      // The message is decided at once, whatever its attachment's fate.
      expect(res.status).toBe(200);
      ids.push(await lastMessage('viber'));
    }
    expect(await ctx.media.runOnce()).toBe(0);
    const state = async () => (await Promise.all(ids.map(rows))).map((r) => [r[0]!.status, r[0]!.attempts]);
    expect(await state()).toEqual([
      ['expired', 1],
      ['too_large', 1],
      ['too_large', 1],
      ['pending', 1],
    ]);
    const [later] = await rows(ids[3]!);
    expect(later!.lastError).toBe('HTTP 503');
    // The lead page says the expired picture is gone instead of showing a broken image.
    const [gone] = await ctx.db.sql<{ leadId: string }[]>`SELECT lead_id FROM messages WHERE id = ${ids[0]!}`;
    const page = await (await (await signIn('admin'))(`/leads/${gone!.leadId}`)).text();
    expect(page).toContain('ссылка устарела');
    expect(page).not.toContain(`${cdn.url}${prefix}/gone.jpg`);
    expect((await rows(ids[0]!))[0]!.lastError).toContain('no longer has the file');

    // Not due again before its backoff; expired and too-large files are never asked for again.
    cdn.reset();
    cdn.on(`GET ${prefix}/later.pdf`, () =>
      up ? { headers: { 'content-type': 'application/pdf' }, body: PDF } : { status: 503, body: '' },
    );
    expect(await ctx.media.runOnce()).toBe(0);
    expect(cdn.requests).toHaveLength(0);
    up = true;
    ctx.clock.advance(1001);
    expect(await ctx.media.runOnce()).toBe(1);
    expect(await state()).toEqual([
      ['expired', 1],
      ['too_large', 1],
      ['too_large', 1],
      ['stored', 2],
    ]);
    const [row] = await ctx.db.sql<{ content: Buffer; contentType: string }[]>`
      SELECT content, content_type FROM message_media WHERE message_id = ${ids[3]!}`;
    expect(row).toEqual({ content: PDF, contentType: 'application/pdf' });
    expect(cdn.requests.map((r) => r.path)).toEqual([`${prefix}/later.pdf`]);
    const metrics = await ctx.metrics.registry.metrics();
    expect(metrics).toMatch(/switchboard_messenger_media_total\{channel="viber",outcome="expired"\} [1-9]/);
    expect(metrics).toMatch(/switchboard_messenger_media_total\{channel="viber",outcome="retry"\} [1-9]/);
  });

  it('Viber: a link that keeps failing is given up after maxAttempts, with the reason kept', async () => {
    const prefix = `/down${++seq}`;
    cdn.on(`GET ${prefix}/p.jpg`, () => ({ status: 500, body: '' }));
    await viberMessage({ type: 'picture', media: `${cdn.url}${prefix}/p.jpg` });
    const id = await lastMessage('viber');
    for (let i = 0; i < 3; i++) {
      await ctx.media.runOnce();
      ctx.clock.advance(60_000);
    }
    expect(await rows(id)).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 3, lastError: 'HTTP 500' }),
    ]);
    expect(cdn.requests).toHaveLength(3);
  });

  it('Viber: a link to a host outside media.hosts is refused, never fetched', async () => {
    await viberMessage({ type: 'picture', media: 'http://localhost:1/evil.jpg' });
    const id = await lastMessage('viber');
    await ctx.media.runOnce();
    expect(await rows(id)).toEqual([
      expect.objectContaining({
        status: 'failed',
        lastError: expect.stringContaining('refused host localhost'),
      }),
    ]);
  });

  it('Avito: an image is copied from its link; a voice message’s link is asked for with getVoiceFiles when copied', async () => {
    const prefix = `/avito${++seq}`;
    cdn.on(`GET ${prefix}/1280x960.jpg`, () => ({ headers: { 'content-type': 'image/jpeg' }, body: JPEG }));
    cdn.on(`GET ${prefix}/voice.mp4`, () => ({ headers: { 'content-type': 'audio/mp4' }, body: OGG }));
    const buyer = ++seq;
    const chatId = `u2i-media${buyer}`;
    const chat = fixtureJson('avito/chat.json');
    chat.id = chatId;
    chat.users[1].id = buyer;
    avito.chat(chatId, chat);
    const image = fixtureJson('avito/webhook-image.json');
    image.id = `img-${buyer}`;
    Object.assign(image.payload.value, { id: `img-${buyer}`, chat_id: chatId, author_id: buyer });
    image.payload.value.content.image.sizes['1280x960'] = `${cdn.url}${prefix}/1280x960.jpg`;
    const voice = fixtureJson('avito/webhook-image.json');
    voice.id = `voice-${buyer}`;
    Object.assign(voice.payload.value, {
      id: `voice-${buyer}`,
      chat_id: chatId,
      author_id: buyer,
      type: 'voice',
      content: { voice: { voice_id: `v${buyer}` } },
    });
    avito.voice(`v${buyer}`, `${cdn.url}${prefix}/voice.mp4`);
    const gone = { ...voice, id: `gone-${buyer}` };
    gone.payload = {
      ...voice.payload,
      value: { ...voice.payload.value, id: `gone-${buyer}`, content: { voice: { voice_id: 'unknown' } } },
    };
    const ids: string[] = [];
    for (const b of [image, voice, gone]) {
      expect((await webhook(`/webhooks/avito/main/${HOOK_SECRET}`, JSON.stringify(b))).status).toBe(200);
      ids.push(await lastMessage('avito'));
    }
    expect(await ctx.media.runOnce()).toBe(2);
    const list = await messageMedia(ctx.db.sql, ids);
    expect(ids.map((id) => list.get(id)?.map((m) => [m.kind, m.status, m.contentType]))).toEqual([
      [['photo', 'stored', 'image/jpeg']],
      [['voice', 'stored', 'audio/mp4']],
      [['voice', 'failed', null]],
    ]);
    expect(list.get(ids[2]!)![0]!.lastError).toContain('getVoiceFiles has no link');
    const asked = avito.http.requests.filter((r) => r.path.includes('/getVoiceFiles'));
    expect(asked.map((r) => new URL(r.path, 'http://x').searchParams.get('voice_ids'))).toEqual([
      `v${buyer}`,
      'unknown',
    ]);
  });

  it('Viber: the lead page marks a client who unsubscribed and refuses a reply with the reason in Russian', async () => {
    await viberMessage({ type: 'text', text: 'Здравствуйте' });
    const [conv] = await ctx.db.sql<{ id: string; leadId: string; threadKey: string }[]>`
      SELECT id, lead_id, thread_key FROM conversations WHERE channel = 'viber' ORDER BY last_message_at DESC LIMIT 1`;
    const user = conv!.threadKey.slice('user:'.length);
    const unsubscribed = fixtureText('viber/unsubscribed.json').replaceAll('3SQNc4FPUQmysaM/AQEhXg==', user);
    const signature = createHmac('sha256', VIBER_TOKEN).update(unsubscribed).digest('hex');
    await webhook('/webhooks/viber/bot', unsubscribed, { 'x-viber-content-signature': signature });

    const petrova = await signIn('petrova');
    const page = await (await petrova(`/leads/${conv!.leadId}`)).text();
    expect(page).toContain('отписался от Viber');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)![1]!;
    const sends = cdn.requests.length;
    const res = await petrova(`/leads/${conv!.leadId}/reply`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ _csrf: csrf, conversationId: conv!.id, text: 'Вы тут?' }).toString(),
    });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('Клиент отписался от Viber-бота');
    expect(cdn.requests.length).toBe(sends);
  });
});
