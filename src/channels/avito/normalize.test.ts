import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { avitoAttachments, normalizeAvito } from './normalize.js';
import {
  avitoChatSchema,
  avitoErrorSchema,
  avitoItemsSchema,
  avitoMessageSchema,
  avitoSentSchema,
  avitoTokenSchema,
  avitoWebhookSchema,
} from './schema.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/avito/${name}`, import.meta.url), 'utf8'));
const chat = avitoChatSchema.parse(fixture('chat.json'));
const stored = (name: string, enrichment?: unknown) => ({
  account: 'main',
  update: avitoWebhookSchema.parse(fixture(name)),
  ...(enrichment ? { enrichment } : {}),
});

/** The code's schema for each fixture file; a file with none fails the test below. */
const schemaOf = (name: string) =>
  name.startsWith('webhook-')
    ? avitoWebhookSchema
    : (
        {
          'chat.json': avitoChatSchema,
          'token.json': avitoTokenSchema,
          'items.json': avitoItemsSchema,
          'send-ok.json': avitoSentSchema,
          'error-401.json': avitoErrorSchema,
        } as const
      )[name];

describe('Avito fixtures', () => {
  const files = readdirSync(new URL('../../../fixtures/avito/', import.meta.url)).filter((f) =>
    f.endsWith('.json'),
  );
  it.each(files)('%s parses with the schema the code uses for it', (name) => {
    const schema = schemaOf(name);
    expect(schema, `no schema for fixtures/avito/${name}`).toBeDefined();
    const parsed = schema!.safeParse(fixture(name));
    expect(parsed.error).toBeUndefined();
  });

  it.each(files.filter((f) => f.startsWith('webhook-')))('%s: payload.value is a webhook message', (name) => {
    const hook = avitoWebhookSchema.parse(fixture(name));
    expect(avitoMessageSchema.safeParse(hook.payload.value).success).toBe(true);
  });

  it('API answers parse with the client’s schemas', () => {
    expect(chat.context?.value?.title).toBe('Диван угловой');
    expect(avitoTokenSchema.parse(fixture('token.json')).expires_in).toBe(86400);
    expect(avitoItemsSchema.parse(fixture('items.json')).resources[0]?.address).toBe(
      'Казань, улица Баумана 58',
    );
    expect(avitoSentSchema.parse(fixture('send-ok.json')).id).toBe('bdcc5bac2d00345f1cc66fa657813958');
    expect(avitoErrorSchema.parse(fixture('error-401.json')).error.code).toBe(401);
  });
});

describe('normalizeAvito', () => {
  it.each([
    {
      name: 'the buyer’s message with chat info and the listing’s address',
      payload: stored('webhook-text.json', { chat, itemAddress: 'Казань, улица Баумана 58' }),
      expected: {
        direction: 'in',
        externalId: '8e1c4d2f0b7a4a61b2c9f3e5d7a8b6c4',
        threadKey: 'chat:u2i-PJIBXrbxVqHcXyqXWSQkAw',
        name: 'Алексей',
        identity: '350687742',
        subject: 'Диван угловой',
        city: 'Казань',
      },
    },
    {
      name: 'without enrichment: the id only',
      payload: stored('webhook-text.json'),
      expected: {
        direction: 'in',
        externalId: '8e1c4d2f0b7a4a61b2c9f3e5d7a8b6c4',
        threadKey: 'chat:u2i-PJIBXrbxVqHcXyqXWSQkAw',
        name: undefined,
        identity: '350687742',
        subject: undefined,
        city: undefined,
      },
    },
    {
      name: 'our own message echoed: outbound, the buyer from chat info',
      payload: stored('webhook-own-echo.json', { chat }),
      expected: {
        direction: 'out',
        externalId: 'bdcc5bac2d00345f1cc66fa657813958',
        threadKey: 'chat:u2i-PJIBXrbxVqHcXyqXWSQkAw',
        name: undefined,
        identity: '350687742',
        subject: 'Диван угловой',
        city: undefined,
      },
    },
  ])('$name', ({ payload, expected }) => {
    const result = normalizeAvito(payload);
    if (!result.ok) throw new Error(result.error);
    const [c] = result.communications;
    expect({
      direction: c?.direction,
      externalId: c?.externalId,
      threadKey: c?.threadKey,
      name: c?.party.name,
      identity: c?.party.identities[0]?.kind === 'avito' ? c.party.identities[0].value : undefined,
      subject: c?.subject,
      city: c?.signals?.city,
    }).toEqual(expected);
  });

  it('skips system messages with the flow id', () => {
    const result = normalizeAvito(stored('webhook-system.json'));
    expect(result).toMatchObject({
      ok: true,
      communications: [],
      skipped: [{ rule: 'avito_system', reason: 'Avito system message (sbc_seller_notification)' }],
    });
  });

  it('skips our own message while the chat’s buyer is unknown', () => {
    expect(normalizeAvito(stored('webhook-own-echo.json'))).toMatchObject({
      ok: true,
      skipped: [{ rule: 'avito_own_message_unknown_chat' }],
    });
  });

  it('keeps a photo as its largest size', () => {
    const result = normalizeAvito(stored('webhook-image.json'));
    if (!result.ok) throw new Error(result.error);
    expect(result.communications[0]?.meta?.attachments).toEqual([
      { kind: 'photo', url: 'https://img.k.avito.ru/chat/1280x960/5083651369.3e79.jpg' },
    ]);
  });

  it('picks the same photo size whatever the order of the sizes (the stored JSON reorders keys)', () => {
    const sizes = {
      '960x1280': 'https://img/portrait.jpg',
      '1280x960': 'https://img/landscape.jpg',
      '64x48': 's',
    };
    const reversed = Object.fromEntries(Object.entries(sizes).reverse());
    const pick = (s: Record<string, string>) =>
      avitoAttachments({ type: 'image', content: { image: { sizes: s } } } as never);
    expect(pick(sizes)).toEqual(pick(reversed));
    expect(pick(sizes)).toEqual([{ kind: 'photo', url: 'https://img/landscape.jpg' }]);
  });

  it('returns an error for a body that is not a webhook', () => {
    expect(normalizeAvito({ account: 'main', update: {} }).ok).toBe(false);
  });
});
