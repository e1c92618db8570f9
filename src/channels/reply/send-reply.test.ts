import { describe, expect, it } from 'vitest';
import type { ChannelModule } from '../channel.js';
import { replyReadiness } from './send-reply.js';

const send = async () => ({ externalId: 'x', record: { payload: {} } });
const module = (m: Omit<ChannelModule, 'normalize'>): ChannelModule => ({
  normalize: async () => ({ ok: true, communications: [] }),
  ...m,
});

describe('replyReadiness', () => {
  const channels = [
    module({ name: 'avito' }),
    module({
      name: 'email',
      replier: {
        channel: 'email',
        send,
        readiness: (account) =>
          account === 'sales' ? { ok: true } : { ok: false, reason: 'send_not_configured' },
      },
    }),
    module({
      name: 'vk',
      replier: { channel: 'vk', send },
      transport: {
        start() {},
        async stop() {},
        status: () => ({
          main: { transport: 'webhook', connected: null },
          lp: { transport: 'longpoll', connected: false, lastError: 'HTTP 500' },
        }),
      },
    }),
    module({
      name: 'whatsapp',
      replier: { channel: 'whatsapp', send },
      transport: {
        start() {},
        async stop() {},
        status: () => ({
          shop: { transport: 'web', state: 'ready' },
          old: { transport: 'web', state: 'qr_required' },
        }),
      },
    }),
  ];

  it.each([
    ['avito', 'any', { ok: false, reason: 'no_replier' }],
    ['email', 'sales', { ok: true }],
    ['email', 'archive', { ok: false, reason: 'send_not_configured' }],
    ['vk', 'main', { ok: true }], // a webhook account that has not heard from VK yet is not known to be down
    ['vk', 'lp', { ok: false, reason: 'disconnected' }],
    ['vk', 'removed', { ok: false, reason: 'account_unknown' }],
    ['whatsapp', 'shop', { ok: true }],
    ['whatsapp', 'old', { ok: false, reason: 'disconnected' }],
  ])('%s/%s', (channel, account, expected) =>
    expect(replyReadiness(channels, channel, account)).toEqual(expected),
  );
});
