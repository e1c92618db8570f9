import { describe, expect, it } from 'vitest';
import { maskSecrets, webhookUrlOf } from './accounts.js';
import type { ChannelModule } from './channel.js';

describe('maskSecrets', () => {
  it.each([
    [
      'request to https://api.telegram.org/bot123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe failed',
      'request to https://api.telegram.org/bot123456:…/getMe failed',
    ],
    ['POST /x?access_token=vk1.a.abcdef&v=5.199 -> 401', 'POST /x?access_token=…&v=5.199 -> 401'],
    ['secret aB3dE5gH7jK9mN1pQ3sT5vX7zB9 refused', 'secret aB3d… refused'],
    // Ordinary words, codes and ids stay readable.
    ['connect ECONNREFUSED 127.0.0.1:1', 'connect ECONNREFUSED 127.0.0.1:1'],
    [
      'event 7c9e6679-7425-40de-944b-e07fc1f90ae7 is dead',
      'event 7c9e6679-7425-40de-944b-e07fc1f90ae7 is dead',
    ],
    ['unknown payload version 7', 'unknown payload version 7'],
  ])('%s', (text, shown) => {
    expect(maskSecrets(text)).toBe(shown);
  });
});

describe('webhookUrlOf', () => {
  const base: ChannelModule = { name: 'x', normalize: () => ({ ok: true, communications: [] }) };
  const route = (path: string) => ({
    method: 'POST' as const,
    path,
    verify: () => ({ ok: true as const, value: undefined }),
    handle: async () => ({ status: 200 }),
  });
  it.each([
    [[], null],
    [[route('')], 'https://sb.example.ru/webhooks/x/main'],
    [[route('/:secret')], 'https://sb.example.ru/webhooks/x/main/<secret>'],
    [[route('/events/:event'), route('/ping')], 'https://sb.example.ru/webhooks/x/main'],
  ])('%j', (webhooks, url) => {
    expect(webhookUrlOf({ ...base, webhooks }, 'main', 'https://sb.example.ru/')).toBe(url);
  });
});
