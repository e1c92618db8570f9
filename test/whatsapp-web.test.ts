import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelTransport } from '../src/channels/channel.js';
import { CHANNELS } from '../src/channels/index.js';
import { defineWhatsappChannel } from '../src/channels/whatsapp/index.js';
import { createTestContext, type TestContext } from './support/context.js';
import { freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';
import { type FakeWorld, fakeChat, fakeFactory, fakeWorld, waMessage } from './support/whatsapp-fake.js';
import { fixture } from './support/whatsapp-fixtures.js';

/**
 * The whatsapp-web.js transport's supervision, driven through a fake client (no real WhatsApp is reachable
 * from tests): pairing with a QR code, ready, messages stored and decided, replies, disconnects restarted with
 * backoff (timers run by hand), catch-up after a reconnect, and the @lid -> phone binding.
 */
const eventually = async (check: () => Promise<boolean> | boolean) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met within 2 s');
};

describe.each(backends())('WhatsApp through whatsapp-web.js (a fake client), on %s', (backend) => {
  let ctx: TestContext;
  let world: FakeWorld;
  let transport: ChannelTransport;
  beforeAll(async () => {
    let now = () => Date.now();
    world = fakeWorld(() => now());
    ctx = await createTestContext(
      backend,
      {
        channels: {
          whatsapp: [
            { account: 'sales', transport: 'web', restart: { initialDelayMs: 1000, maxDelayMs: 3000 } },
          ],
        },
      },
      {
        channels: [
          ...CHANNELS.filter((c) => c.name !== 'whatsapp'),
          defineWhatsappChannel({ clientFactory: fakeFactory(world), schedule: world.schedule }),
        ],
      },
    );
    now = () => ctx.clock.clock().getTime();
    transport = ctx.source('whatsapp')!.transport!;
  });
  afterAll(async () => {
    await transport?.stop();
    await ctx?.close();
  });

  const state = () => (transport.status().sales as { state: string }).state;
  const pendingTimers = () => world.timers.filter((t) => !t.cancelled);
  const runTimer = () => {
    const t = world.timers.shift();
    if (!t) throw new Error('no restart scheduled');
    if (!t.cancelled) t.run();
    return t.ms;
  };
  let seq = 0;
  const incoming = (chatId: string, body: string, extra: Record<string, unknown> = {}) => {
    const id = `A${String(++seq).padStart(5, '0')}${Math.random().toString(16).slice(2, 12).toUpperCase()}ABCDEF0123456789`;
    return waMessage(
      {
        ...(fixture('web', 'message-cus.json') as Record<string, unknown>),
        id: { fromMe: false, remote: chatId, id, _serialized: `false_${chatId}_${id}` },
        from: chatId,
        body,
        timestamp: Math.floor(ctx.clock.clock().getTime() / 1000),
        ...extra,
      },
      { contact: { pushname: 'Алексей', number: chatId.split('@')[0] } },
    );
  };
  const decisionOf = async (externalId: string) => {
    let row: { kind: string } | undefined;
    await eventually(async () => {
      [row] = await ctx.db.sql<{ kind: string }[]>`
        SELECT decision->0->>'kind' AS kind FROM inbound_events
        WHERE source = 'whatsapp' AND external_id = ${externalId} AND status = 'processed'`;
      return row !== undefined;
    });
    return row!.kind;
  };
  const contactsOf = async (phone: string) =>
    (await ctx.request('GET', `/api/v1/contacts?phone=8${phone}`)).body.contacts;

  it('pairs with a QR code: /readyz shows the state, only the authenticated API shows the code', async () => {
    transport.start();
    await eventually(() => world.clients.length === 1 && world.current().initialized === 1);
    expect(state()).toBe('connecting');
    world.current().emit('qr', '2@pairing-code-text,abc,def');
    expect(state()).toBe('qr_required');
    const ready = await ctx.request('GET', '/readyz');
    expect(ready.body.whatsapp.sales).toMatchObject({ transport: 'web', state: 'qr_required' });
    expect(JSON.stringify(ready.body)).not.toContain('pairing-code-text');
    expect(
      (await ctx.request('GET', '/api/v1/channels/whatsapp/sales', undefined, { token: null })).status,
    ).toBe(401);
    let detail: { qr?: { text: string; dataUrl?: string } } = {};
    await eventually(async () => {
      detail = (await ctx.request('GET', '/api/v1/channels/whatsapp/sales')).body;
      return detail.qr?.dataUrl !== undefined;
    });
    expect(detail.qr!.text).toBe('2@pairing-code-text,abc,def');
    expect(detail.qr!.dataUrl).toMatch(/^data:image\/png;base64,/);
    expect((await ctx.request('GET', '/api/v1/channels/whatsapp/nobody')).status).toBe(404);

    world.current().emit('authenticated');
    world.current().emit('ready');
    expect(state()).toBe('ready');
    expect((await ctx.request('GET', '/api/v1/channels/whatsapp/sales')).body.qr).toBeUndefined();
    const metrics = await ctx.request('GET', '/metrics', undefined, { token: null });
    expect(metrics.body).toContain('switchboard_whatsapp_state{account="sales",state="ready"} 1');
  });

  it('a client’s message is stored and decided; a message typed on the phone is outbound; groups are skipped', async () => {
    const phone = freshPhone();
    const chatId = `7${phone}@c.us`;
    const m = incoming(chatId, 'Сколько стоит доставка?');
    world.current().emit('message', m);
    expect(await decisionOf(m.id._serialized)).toBe('new_lead');
    const [contact] = await contactsOf(phone);
    expect(contact.name).toBe('Алексей');

    const typed = waMessage({
      ...(fixture('web', 'message-from-me.json') as Record<string, unknown>),
      id: {
        fromMe: true,
        remote: chatId,
        id: `3EB0PHONE${phone}`,
        _serialized: `true_${chatId}_3EB0PHONE${phone}`,
      },
      to: chatId,
    });
    world.current().emit('message_create', typed);
    expect(await decisionOf(typed.id._serialized)).toBe('outbound');

    const group = waMessage(fixture('web', 'message-group.json') as Record<string, unknown>);
    world.current().emit('message', group);
    await eventually(async () => {
      const [row] = await ctx.db.sql<{ rule: string }[]>`
        SELECT skipped->0->>'rule' AS rule FROM inbound_events
        WHERE source = 'whatsapp' AND external_id = ${group.id._serialized} AND status = 'processed'`;
      return row?.rule === 'skip_group';
    });
  });

  it('a @lid sender who later writes from @c.us is one contact', async () => {
    const phone = freshPhone();
    const lid = `${Date.now()}${seq}@lid`;
    const first = incoming(lid, 'Здравствуйте, есть шкаф 2 м?');
    world.current().emit('message', first); // WhatsApp does not know the phone yet
    expect(await decisionOf(first.id._serialized)).toBe('new_lead');
    world.lids.set(`7${phone}@c.us`, { lid, pn: `7${phone}@c.us` });
    const second = incoming(`7${phone}@c.us`, 'Это снова я');
    world.current().emit('message', second);
    expect(await decisionOf(second.id._serialized)).toBe('attached_to_lead');
    const contacts = await contactsOf(phone);
    expect(contacts).toHaveLength(1);
    const [identity] = await ctx.db.sql<{ contactId: string }[]>`
      SELECT contact_id FROM identities WHERE kind = 'whatsapp' AND value = ${`sales:${lid}`}`;
    expect(identity!.contactId).toBe(contacts[0].id);
  });

  it('a reply goes out through the account’s client; its echo is not stored twice; a failed send is a clear error', async () => {
    const phone = freshPhone();
    const chatId = `7${phone}@c.us`;
    const m = incoming(chatId, 'Цена?');
    world.current().emit('message', m);
    await decisionOf(m.id._serialized);
    const [conv] = await ctx.db.sql<{ id: string }[]>`
      SELECT id FROM conversations WHERE channel = 'whatsapp' AND thread_key = ${`chat:${chatId}`}`;
    const res = await ctx.request('POST', `/api/v1/conversations/${conv!.id}/messages`, { text: '12 000 ₽' });
    expect(res.status).toBe(201);
    const sent = world.current().sent.at(-1)!;
    expect([sent.chatId, sent.content]).toEqual([chatId, '12 000 ₽']);
    expect(await decisionOf(sent.message.id._serialized)).toBe('outbound');
    world.current().emit('message_create', sent.message); // the library reports our own send too
    await (transport as unknown as { idle?: () => Promise<void> }).idle?.();
    const rows = await ctx.db
      .sql`SELECT 1 FROM inbound_events WHERE external_id = ${sent.message.id._serialized}`;
    expect(rows).toHaveLength(1);

    world.current().failSend = new Error('Evaluation failed: chat not found');
    const failed = await ctx.request(
      'POST',
      `/api/v1/conversations/${conv!.id}/messages`,
      { text: 'Не уйдёт' },
      {
        headers: { 'idempotency-key': 'wa-fail' },
      },
    );
    expect(failed.status).toBe(502);
    expect(failed.body.error.message).toContain('chat not found');
    const [reply] = await ctx.db.sql<
      { status: string }[]
    >`SELECT status FROM replies WHERE idempotency_key = 'wa-fail'`;
    expect(reply!.status).toBe('failed');
    world.current().failSend = undefined;
  });

  it('a disconnect restarts with backoff; the dead client is ignored; missed messages are fetched once', async () => {
    const phone = freshPhone();
    const chatId = `7${phone}@c.us`;
    const before = incoming(chatId, 'До обрыва');
    world.current().emit('message', before);
    await decisionOf(before.id._serialized);

    const dead = world.current();
    ctx.clock.advance(60_000);
    dead.emit('disconnected', 'NAVIGATION');
    expect(state()).toBe('failed');
    expect(dead.destroyed).toBe(1);
    dead.emit('message', incoming(chatId, 'late event of a dead client')); // ignored
    expect(pendingTimers().map((t) => t.ms)).toEqual([1000]);

    // While down, the client wrote twice; after the reconnect the chat is read since the last stored message.
    const missed = incoming(chatId, 'Пока вы были офлайн');
    world.chats = [fakeChat(chatId, [before, missed])];
    runTimer();
    await eventually(() => world.clients.length === 2);
    expect(state()).toBe('connecting');
    world.current().emit('ready');
    expect(await decisionOf(missed.id._serialized)).toBe('attached_to_lead');
    const stored = await ctx.db
      .sql`SELECT 1 FROM inbound_events WHERE external_id = ${before.id._serialized}`;
    expect(stored).toHaveLength(1);
    const late = await ctx.db
      .sql`SELECT 1 FROM inbound_events WHERE payload->'message'->>'body' = 'late event of a dead client'`;
    expect(late).toHaveLength(0);
    world.chats = [];
  });

  it('errors, failed starts and logouts never crash: backoff doubles up to the cap, a logout asks for a new QR', async () => {
    world.current().emit('error', new Error('Protocol error: Target closed'));
    expect(state()).toBe('failed');
    expect((transport.status().sales as { lastError: string }).lastError).toContain('Target closed');
    world.factoryError = new Error('Failed to launch the browser process');
    expect(runTimer()).toBe(1000);
    await eventually(() => pendingTimers().length === 1);
    world.factoryError = undefined;
    expect(runTimer()).toBe(2000);
    await eventually(() => state() === 'connecting');
    world.current().emit('auth_failure', 'restore failed');
    expect(state()).toBe('failed');
    expect(runTimer()).toBe(3000); // capped
    await eventually(() => state() === 'connecting');

    // Pairing, then a restart during pairing: the old QR is gone and the old client's late QR is ignored.
    const pairing = world.current();
    pairing.emit('qr', 'old-qr');
    pairing.emit('disconnected', 'LOGOUT');
    expect(state()).toBe('logged_out');
    pairing.emit('qr', 'late-qr-of-dead-client');
    expect(state()).toBe('logged_out');
    expect((await ctx.request('GET', '/api/v1/channels/whatsapp/sales')).body.qr).toBeUndefined();
    runTimer();
    await eventually(() => world.clients.at(-1) !== pairing && state() === 'connecting');
    world.current().emit('qr', 'new-qr');
    world.current().emit('ready');
    expect(state()).toBe('ready');
    // Ready resets the backoff.
    world.current().emit('disconnected', 'CONFLICT');
    expect(pendingTimers().map((t) => t.ms)).toEqual([1000]);
    runTimer();
    await eventually(() => state() === 'connecting');
    world.current().emit('ready');
  });

  it('stop() closes the client and cancels restarts', async () => {
    const c = world.current();
    await transport.stop();
    expect(c.destroyed).toBe(1);
    expect(state()).toBe('stopped');
    c.emit('error', new Error('after stop')); // still listened to: no crash
    expect(pendingTimers()).toHaveLength(0);
  });
});
