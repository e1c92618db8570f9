import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVkUpdate } from './intake.js';
import { normalizeVk } from './normalize.js';
import { vkEventSchema, vkUsersGetSchema } from './schema.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/vk/${name}`, import.meta.url), 'utf8'));
const user = vkUsersGetSchema.parse(fixture('users.get.json'))[0]!;
const stored = (name: string, enrichment?: unknown) => {
  const parsed = parseVkUpdate(fixture(name));
  if (!parsed.ok) throw new Error(parsed.reason);
  return { account: 'main', update: parsed.update, ...(enrichment ? { enrichment } : {}) };
};

describe('VK fixtures', () => {
  const files = readdirSync(new URL('../../../fixtures/vk/', import.meta.url)).filter((f) =>
    f.endsWith('.json'),
  );
  // API answers are named after the method (users.get.json); every other file is a Callback API delivery.
  const callbacks = files.filter((f) => f !== 'users.get.json');
  it.each(callbacks)('%s parses with the webhook schema and intake', (name) => {
    expect(vkEventSchema.safeParse(fixture(name)).error).toBeUndefined();
    const parsed = parseVkUpdate(fixture(name));
    expect(parsed.ok ? undefined : parsed.reason).toBeUndefined();
    expect(name.replace(/\.json$/, '').replace(/-.*$/, ''), name).toBe(
      vkEventSchema.parse(fixture(name)).type,
    );
  });

  it('users.get parses', () => {
    expect(user.city?.title).toBe('Казань');
  });

  it('the callback secret is never kept', () => {
    expect(JSON.stringify(stored('message_new.json'))).not.toContain('s3cr3t');
  });
});

describe('normalizeVk', () => {
  it.each([
    {
      name: 'message_new with the profile: inbound, name, city, key peer_cmid',
      payload: stored('message_new.json', { user }),
      expected: {
        direction: 'in',
        externalId: '22757746_1383',
        threadKey: 'peer:22757746',
        name: 'Анна Соколова',
        identities: [{ kind: 'vk', account: 'main', value: '22757746' }],
        city: 'Казань',
      },
    },
    {
      name: 'message_new without enrichment: no name, no city',
      payload: stored('message_new.json'),
      expected: {
        direction: 'in',
        externalId: '22757746_1383',
        threadKey: 'peer:22757746',
        name: undefined,
        identities: [{ kind: 'vk', account: 'main', value: '22757746' }],
        city: undefined,
      },
    },
    {
      name: 'a public mobile phone becomes an identity after the VK id',
      payload: stored('message_new.json', { user: { ...user, mobile_phone: '+7 912 345-67-89' } }),
      expected: {
        direction: 'in',
        externalId: '22757746_1383',
        threadKey: 'peer:22757746',
        name: 'Анна Соколова',
        identities: [
          { kind: 'vk', account: 'main', value: '22757746' },
          { kind: 'phone', value: '+7 912 345-67-89' },
        ],
        city: 'Казань',
      },
    },
    {
      name: 'message_reply: ours, outbound to the peer',
      payload: stored('message_reply.json'),
      expected: {
        direction: 'out',
        externalId: '22757746_1384',
        threadKey: 'peer:22757746',
        name: undefined,
        identities: [{ kind: 'vk', account: 'main', value: '22757746' }],
        city: undefined,
      },
    },
  ])('$name', ({ payload, expected }) => {
    const result = normalizeVk(payload);
    if (!result.ok) throw new Error(result.error);
    const [c] = result.communications;
    expect({
      direction: c?.direction,
      externalId: c?.externalId,
      threadKey: c?.threadKey,
      name: c?.party.name,
      identities: c?.party.identities,
      city: c?.signals?.city,
    }).toEqual(expected);
  });

  it('keeps attachments as metadata with links', () => {
    const result = normalizeVk(stored('message_new-attachments.json'));
    if (!result.ok) throw new Error(result.error);
    expect(result.communications[0]?.meta?.attachments).toEqual([
      { kind: 'photo', url: 'https://sun9-1.userapi.com/impg/x604/photo.jpg', ref: '22757746_457239017' },
      {
        kind: 'file',
        url: 'https://vk.com/doc22757746_645312871?hash=0a1b2c',
        name: 'размеры.pdf',
        size: 184320,
        ref: '22757746_645312871',
      },
      { kind: 'voice', url: 'https://psv4.userapi.com/v.mp3', durationSeconds: 7, ref: '22757746_645312872' },
    ]);
  });

  it('skips non-message events with a reason', () => {
    expect(normalizeVk(stored('group_join.json'))).toEqual({
      ok: true,
      communications: [],
      skipped: [
        {
          channel: 'vk',
          account: 'main',
          externalId: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b',
          rule: 'vk_not_a_message',
          reason: 'VK event "group_join" is acknowledged, not a message',
        },
      ],
    });
  });

  it('returns an error, never throws, for a payload that is not a VK event', () => {
    expect(normalizeVk({ account: 'main', update: { nope: 1 } }).ok).toBe(false);
    expect(normalizeVk(null).ok).toBe(false);
  });
});
