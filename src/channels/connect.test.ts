import { describe, expect, it } from 'vitest';
import type { ChannelModule } from './channel.js';
import { connectChannel } from './connect.js';

const plain: ChannelModule = { name: 'email', normalize: () => ({ ok: true, communications: [] }) };
const viber: ChannelModule = {
  ...plain,
  name: 'viber',
  connect: async (account, { publicUrl }) => ({ ok: true, lines: [`${account} at ${publicUrl}`] }),
};
const broken: ChannelModule = {
  ...plain,
  name: 'avito',
  connect: async () => {
    throw new Error('provider down');
  },
};

describe('connectChannel', () => {
  it.each([
    [
      undefined,
      undefined,
      { ok: false, lines: ['usage: npm run channels:connect -- <viber|avito> <account>'] },
    ],
    ['fax', 'main', { ok: false, lines: ['unknown channel "fax" (known: email, viber, avito)'] }],
    [
      'email',
      'main',
      { ok: false, lines: ['the email channel has nothing to register (connectable: viber, avito)'] },
    ],
    ['viber', 'bot', { ok: true, lines: ['bot at https://sb.example.ru'] }],
    ['avito', 'main', { ok: false, lines: ['avito: provider down'] }],
  ])('%s %s', async (channel, account, expected) => {
    expect(await connectChannel([plain, viber, broken], channel, account, 'https://sb.example.ru')).toEqual(
      expected,
    );
  });
});
