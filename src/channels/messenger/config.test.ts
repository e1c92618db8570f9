import { describe, expect, it } from 'vitest';
import { maxConfigSchema } from '../max/config.js';
import { telegramConfigSchema } from '../telegram/config.js';

describe('messenger account config', () => {
  it('defaults to a webhook on the public API roots', () => {
    const [tg] = telegramConfigSchema.parse([{ account: 'shop_bot', token: 't', secret: 's' }]);
    const [max] = maxConfigSchema.parse([{ account: 'shop', token: 't', secret: 'secret' }]);
    expect([tg!.transport, tg!.apiRoot, max!.apiRoot]).toEqual([
      'webhook',
      'https://api.telegram.org',
      'https://platform-api2.max.ru',
    ]);
  });

  it.each([
    [telegramConfigSchema, [{ account: 'a', token: 't' }], '0.secret: a webhook account needs a secret'],
    [maxConfigSchema, [{ account: 'a', token: 't', secret: 'abc' }], '0.secret: 5–256 characters'],
    [
      telegramConfigSchema,
      [
        { account: 'a', token: 't', transport: 'polling' },
        { account: 'a', token: 'u', transport: 'polling' },
      ],
      '1.account: duplicate account "a"',
    ],
    [telegramConfigSchema, [{ account: 'a', token: 't', secret: 'has space' }], '0.secret: 1–256 characters'],
  ] as const)('refuses %#: %s', (schema, input, message) => {
    const r = schema.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(`${issue.path.join('.')}: ${issue.message}`).toContain(message);
  });
});
