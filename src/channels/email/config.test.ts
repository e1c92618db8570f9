import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';

const base = `
teams: [{ id: retail, name: Розница }]
routing: { fallbackTeam: retail }
`;

describe('email configuration', () => {
  it('fills defaults: INBOX, implicit TLS on 993, no backfill, 25 MB attachment cap', () => {
    const cfg = parseConfig(
      `${base}
email:
  mailboxes:
    - { label: sales, address: sales@mebel-fabrika.ru, host: imap.example.ru, user: sales, password: "\${IMAP_PASS}" }
`,
      { IMAP_PASS: 'from-env' },
    );
    expect(cfg.email.mailboxes[0]).toMatchObject({
      folders: ['INBOX'],
      port: 993,
      tls: 'implicit',
      backfill: false,
      password: 'from-env',
    });
    expect(cfg.email.attachments.maxBytes).toBe(25 * 1024 * 1024);
  });

  it('no email section: no mailboxes', () => {
    expect(parseConfig(base, {}).email.mailboxes).toEqual([]);
  });

  it('names the bad setting: duplicate labels, duplicate folders, a password from a missing variable', () => {
    const mb = (label: string, folders = '[INBOX]') =>
      `{ label: ${label}, address: a@b.ru, host: h, user: u, password: p, folders: ${folders} }`;
    expect(() => parseConfig(`${base}\nemail: { mailboxes: [${mb('sales')}, ${mb('sales')}] }`, {})).toThrow(
      /email\.mailboxes\.1\.label: duplicate mailbox "sales"/,
    );
    expect(() =>
      parseConfig(`${base}\nemail: { mailboxes: [${mb('sales', '[INBOX, INBOX]')}] }`, {}),
    ).toThrow(/email\.mailboxes\.0\.folders: duplicate folder/);
    expect(() =>
      parseConfig(
        `${base}\nemail: { mailboxes: [{ label: s, address: a@b.ru, host: h, user: u, password: "\${NOPE}" }] }`,
        {},
      ),
    ).toThrow(/email\.mailboxes\.0\.password: environment variable NOPE is not set/);
  });
});
