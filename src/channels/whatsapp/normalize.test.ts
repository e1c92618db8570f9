import { describe, expect, it } from 'vitest';
import { fixture, fixtureNames } from '../../../test/support/whatsapp-fixtures.js';
import type { MessageCommunication } from '../../core/communication.js';
import { normalizeWhatsapp } from './normalize.js';
import { greenNotificationSchema, webContactSchema, webMessageSchema } from './schema.js';

const web = (name: string, extra: Record<string, unknown> = {}) => ({
  transport: 'web',
  account: 'sales',
  message: fixture('web', name),
  ...extra,
});
const gateway = (name: string) => ({
  transport: 'gateway',
  account: 'shop',
  notification: fixture('green-api', name),
});

const one = async (payload: unknown) => {
  const r = await normalizeWhatsapp(payload);
  if (!r.ok) throw new Error(r.error);
  expect(r.communications).toHaveLength(1);
  return r.communications[0] as MessageCommunication;
};
const skippedRule = async (payload: unknown) => {
  const r = await normalizeWhatsapp(payload);
  if (!r.ok) throw new Error(r.error);
  expect(r.communications).toHaveLength(0);
  return r.skipped?.[0]?.rule;
};

describe('the fixtures parse with the channel’s schemas', () => {
  it.each(fixtureNames('green-api'))('green-api/%s', (name) => {
    expect(greenNotificationSchema.safeParse(fixture('green-api', name)).success).toBe(true);
  });
  it.each(fixtureNames('web').filter((n) => n !== 'contact.json'))('web/%s', (name) => {
    // Every web/ file but the contact is a library Message record.
    expect(name).toMatch(/^message-/);
    expect(webMessageSchema.safeParse(fixture('web', name)).error).toBeUndefined();
  });
  it('web/contact.json', () => {
    expect(webContactSchema.parse(fixture('web', 'contact.json')).pushname).toBe('Алексей');
  });
});

describe('normalize: whatsapp-web.js records', () => {
  it('a @c.us sender is a phone identity (E.164); the push name fills the name', async () => {
    const c = await one(web('message-cus.json', { contact: fixture('web', 'contact.json') }));
    expect(c).toMatchObject({
      channel: 'whatsapp',
      account: 'sales',
      externalId: 'false_79123456789@c.us_A1B2C3D4E5F60718293A4B5C6D7E8F90',
      direction: 'in',
      occurredAt: new Date(1754916284 * 1000),
      party: { name: 'Алексей', identities: [{ kind: 'phone', value: '+79123456789' }], hints: [] },
      threadKey: 'chat:79123456789@c.us',
      text: 'Добрый день! Сколько стоит доставка?',
    });
  });

  it.each([
    ['unresolved', undefined, [{ kind: 'whatsapp', account: 'sales', value: '179950657237125@lid' }]],
    [
      'resolved to a phone',
      { lid: '179950657237125@lid', pn: '79123456789@c.us' },
      [
        { kind: 'phone', value: '+79123456789' },
        { kind: 'whatsapp', account: 'sales', value: '179950657237125@lid' },
      ],
    ],
  ])('a @lid sender, %s: the lid digits are never a phone', async (_, ids, identities) => {
    const c = await one(web('message-lid.json', ids ? { ids } : {}));
    expect(c.party.identities).toEqual(identities);
  });

  it('a @c.us sender whose lid is known carries both ids (binds an earlier lid-only contact)', async () => {
    const c = await one(
      web('message-cus.json', { ids: { lid: '179950657237125@lid', pn: '79123456789@c.us' } }),
    );
    expect(c.party.identities).toEqual([
      { kind: 'phone', value: '+79123456789' },
      { kind: 'whatsapp', account: 'sales', value: '179950657237125@lid' },
    ]);
  });

  it('a message typed on the phone (fromMe) is outbound to the chat', async () => {
    const c = await one(web('message-from-me.json'));
    expect(c).toMatchObject({ direction: 'out', threadKey: 'chat:79123456789@c.us' });
    expect(c.party.identities).toEqual([{ kind: 'phone', value: '+79123456789' }]);
  });

  it.each([
    ['message-group.json', 'skip_group'],
    ['message-status.json', 'skip_status_broadcast'],
    ['message-revoked.json', 'skip_system_message'],
  ])('%s is skipped (%s)', async (name, rule) => {
    expect(await skippedRule(web(name))).toBe(rule);
  });

  it('media is metadata (the stored file), the caption is the text', async () => {
    const media = {
      mimetype: 'image/jpeg',
      filename: 'a.jpg',
      size: 1234,
      path: 'whatsapp/sales/media/x.jpg',
    };
    const c = await one(web('message-image.json', { media }));
    expect(c.text).toBe('Вот такой нужен');
    expect(c.meta).toMatchObject({ type: 'image', media: { type: 'image', ...media } });
    const voice = await one(web('message-ptt.json'));
    expect(voice.text).toBeUndefined();
    expect(voice.meta).toMatchObject({ media: { type: 'ptt' } });
  });

  it('a location is text and coordinates; a shared contact’s phone is a hint, never the sender', async () => {
    const loc = await one(web('message-location.json'));
    expect(loc.text).toBe('Склад, Екатеринбург');
    expect(loc.meta).toMatchObject({ location: { latitude: 56.8798, longitude: 60.6196 } });
    const card = await one(web('message-vcard.json'));
    expect(card.text).toBe('Контакт: Сергей Прораб');
    expect(card.party.identities).toEqual([{ kind: 'phone', value: '+79123456789' }]);
    expect(card.party.hints).toEqual([{ kind: 'phone', value: '+7 916 123-45-67' }]);
  });
});

describe('normalize: Green-API notifications', () => {
  it('incomingMessageReceived: inbound from the chat’s phone, dedup key chatId_idMessage', async () => {
    const c = await one(gateway('incoming-text.json'));
    expect(c).toMatchObject({
      account: 'shop',
      externalId: '79001234567@c.us_F7AEC1B7086ECDC7E6E45923F5EDB825',
      direction: 'in',
      occurredAt: new Date(1767002400 * 1000),
      party: { name: 'Ирина', identities: [{ kind: 'phone', value: '+79001234567' }] },
      threadKey: 'chat:79001234567@c.us',
      text: 'Сколько стоит доставка?',
    });
  });

  it.each([
    ['outgoing-phone.json', 'Доставка 1 500 ₽'],
    ['outgoing-api.json', 'Добрый день! Менеджер свяжется с вами'],
  ])('%s is ours: outbound, the party is the client', async (name, text) => {
    const c = await one(gateway(name));
    expect(c).toMatchObject({ direction: 'out', text, party: { name: 'Ирина' } });
    expect(c.party.identities).toEqual([{ kind: 'phone', value: '+79001234567' }]);
  });

  it.each([
    ['incoming-group.json', 'skip_group'],
    ['outgoing-status.json', 'skip_gateway_notification'],
    ['state-instance-changed.json', 'skip_gateway_notification'],
  ])('%s is recorded, not a message (%s)', async (name, rule) => {
    expect(await skippedRule(gateway(name))).toBe(rule);
  });

  it('a @lid chat is a WhatsApp identity of the account', async () => {
    const c = await one(gateway('incoming-lid.json'));
    expect(c.party.identities).toEqual([{ kind: 'whatsapp', account: 'shop', value: '179950657237125@lid' }]);
  });

  it('image, extended text, location and contact messages', async () => {
    expect((await one(gateway('incoming-extended-text.json'))).text).toBe(
      'Вот ссылка https://example.ru/stol',
    );
    const img = await one(gateway('incoming-image.json'));
    expect(img.text).toBe('Такой стол');
    expect(img.meta).toMatchObject({ media: { type: 'image', mimetype: 'image/jpeg' } });
    expect((await one(gateway('incoming-location.json'))).meta).toMatchObject({
      location: { latitude: 56.8798, longitude: 60.6196 },
    });
    const card = await one(gateway('incoming-contact.json'));
    expect(card.party.hints).toEqual([{ kind: 'phone', value: '+7 916 123-45-67' }]);
  });

  it('never throws on junk: a result with the reason', async () => {
    for (const junk of [
      null,
      7,
      {},
      { transport: 'gateway', account: 'shop', notification: { typeWebhook: 1 } },
    ])
      expect((await normalizeWhatsapp(junk)).ok).toBe(false);
  });
});
