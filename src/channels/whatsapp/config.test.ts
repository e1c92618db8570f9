import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { whatsappConfigSchema } from './config.js';

describe('channels.whatsapp', () => {
  it('the example configuration’s block parses, with defaults', () => {
    const text = readFileSync(new URL('../../../config/switchboard.example.yaml', import.meta.url), 'utf8');
    const block = text.slice(text.indexOf('# channels:\n#   whatsapp:'));
    const yaml = block
      .split('\n')
      .filter((l) => l.startsWith('# ') && !l.startsWith('#     #'))
      .map((l) => l.slice(2))
      .join('\n')
      .replace(/\$\{GREEN_API_TOKEN\}/g, 'api-token-0123456789')
      .replace(/\$\{GREEN_API_WEBHOOK_TOKEN\}/g, 'webhook-token-0123456789');
    const accounts = whatsappConfigSchema.parse(parse(yaml).channels.whatsapp);
    expect(accounts).toMatchObject([
      {
        account: 'sales',
        transport: 'web',
        executablePath: '/usr/bin/chromium',
        headless: true,
        restart: { initialDelayMs: 5000 },
      },
      {
        account: 'shop',
        transport: 'gateway',
        apiRoot: 'https://api.green-api.com',
        idInstance: '1101000001',
        sendAttempts: 3,
      },
    ]);
  });

  it.each([
    [
      [
        { account: 'a', transport: 'web' },
        { account: 'a', transport: 'web' },
      ],
      '0.account|1.account',
      'duplicate account',
    ],
    [[{ account: 'a/b', transport: 'web' }], '0.account', 'letters'],
    [
      [
        {
          account: 'shop',
          transport: 'gateway',
          idInstance: '1',
          apiTokenInstance: 'x'.repeat(10),
          webhookToken: 'short',
        },
      ],
      '0.webhookToken',
      'at least 16',
    ],
    [[{ account: 'shop', transport: 'sms' }], '0.transport', ''],
  ])('names the bad setting: %j', (input, path, message) => {
    const r = whatsappConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(path.split('|')).toContain(issue.path.join('.'));
    expect(issue.message).toContain(message);
  });
});
