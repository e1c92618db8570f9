import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { MessageCommunication } from '../../core/communication.js';
import type { NormalizeResult } from '../channel.js';
import { createAttachmentStore } from './attachments.js';
import { createSenderPolicy } from './classify.js';
import { emailExternalId } from './headers.js';
import { createEmailSource } from './normalize.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/email/', import.meta.url));
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

const senders = createSenderPolicy({
  companyEmails: ['info@mebel-fabrika.ru'],
  companyDomains: ['mebel-fabrika.ru'],
  email: {
    mailboxes: [{ address: 'zakaz@mebel-kazan.ru' }] as never,
    blocklist: { senders: ['spam@promo-rassylka.ru'], domains: ['seo-prodvizhenie.ru'] },
  },
});
const source = createEmailSource({ senders });
const received = {
  kind: 'received',
  mailbox: 'sales',
  folder: 'INBOX',
  uid: 7,
  uidValidity: '1763700000',
  receivedAt: '2026-11-21T09:00:00.000Z',
};

async function one(raw: Buffer | string, payload: object = received): Promise<MessageCommunication> {
  const r = await source.normalize(payload, Buffer.from(raw));
  if (!r.ok) throw new Error(r.error);
  expect(r.skipped ?? []).toEqual([]);
  expect(r.communications).toHaveLength(1);
  return r.communications[0] as MessageCommunication;
}

async function skipped(raw: Buffer | string): Promise<string> {
  const r = await source.normalize(received, Buffer.from(raw));
  if (!r.ok) throw new Error(r.error);
  expect(r.communications).toEqual([]);
  return r.skipped?.[0]?.rule ?? 'not skipped';
}

const simple = (headers: string, body = 'Добрый день, нужен стол.') =>
  `${headers.trim().replace(/\n/g, '\r\n')}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;

describe('email normalize (fixtures)', () => {
  it('a Gmail quote request: sender, name, subject, text part, phone hint from the signature, INN in meta', async () => {
    const c = await one(await fixture('quote-request-gmail.eml'));
    expect(c).toMatchObject({
      channel: 'email',
      account: 'sales',
      direction: 'in',
      externalId: '<CAJq3xZ7v1Lk0fK9mQ2wYp8sT4nR6hE5uD3cB1aXz0oN9iG7jHw@mail.gmail.com>',
      threadKey: '<CAJq3xZ7v1Lk0fK9mQ2wYp8sT4nR6hE5uD3cB1aXz0oN9iG7jHw@mail.gmail.com>',
      subject: 'Запрос КП: ресепшн и витрины для салона в Казани',
      party: {
        name: 'Ольга Смирнова',
        identities: [{ kind: 'email', value: 'olga.smirnova.art@gmail.com' }],
        hints: [{ kind: 'phone', value: '+7 (917) 263-45-18' }],
      },
    });
    expect(c.text).toContain('ресепшн-стойка 2400×800 мм');
    expect(c.text).not.toContain('<div');
    expect(c.meta).toMatchObject({ inn: ['1655123453'] });
    // No INTERNALDATE in the payload: the Date header.
    expect(c.occurredAt.toISOString()).toBe('2026-11-16T07:42:17.000Z');
  });

  it('a Thunderbird reply joins the thread root; quoted history gives no hints', async () => {
    const c = await one(await fixture('reply-with-history-thunderbird.eml'), {
      ...received,
      internalDate: '2026-11-18T06:15:09.000Z',
    });
    expect(c.threadKey).toBe('<CAJq3xZ7v1Lk0fK9mQ2wYp8sT4nR6hE5uD3cB1aXz0oN9iG7jHw@mail.gmail.com>');
    expect(c.meta?.email).toMatchObject({
      inReplyTo: '<0f6c2b1e-5d4a-4c3b-9a8f-7e6d5c4b3a21@mebel-fabrika.ru>',
      references: [
        '<CAJq3xZ7v1Lk0fK9mQ2wYp8sT4nR6hE5uD3cB1aXz0oN9iG7jHw@mail.gmail.com>',
        '<0f6c2b1e-5d4a-4c3b-9a8f-7e6d5c4b3a21@mebel-fabrika.ru>',
      ],
    });
    // Our own number sits in the quoted signature: it must not become a hint.
    expect(c.party.hints).toEqual([{ kind: 'phone', value: '+7 917 263-45-18' }]);
    expect(c.text).toContain('> Направляем коммерческое предложение');
    // The server's receipt time wins over the sender's Date header.
    expect(c.occurredAt.toISOString()).toBe('2026-11-18T06:15:09.000Z');
  });

  it('an Outlook windows-1251 multipart: encoded-word name and subject, quoted-printable text, PDF attachment', async () => {
    const c = await one(await fixture('outlook-multipart-attachment.eml'));
    expect(c.subject).toBe('ТЗ на офисную мебель, 3 этаж');
    expect(c.party.name).toBe('Сидоров Павел Андреевич');
    expect(c.text).toContain('Направляем техническое задание на мебель для офиса (во вложении).');
    expect(c.party.hints.map((h) => h.value)).toEqual(['8 (843) 567-12-34', '8-927-401-88-90']);
    expect(c.meta?.attachments).toEqual([
      expect.objectContaining({ filename: 'ТЗ_офис_3этаж.pdf', contentType: 'application/pdf', size: 193 }),
    ]);
  });

  it('a KOI8-R legacy message: 8-bit body and encoded words decode to Cyrillic', async () => {
    const c = await one(await fixture('koi8r-legacy.eml'));
    expect(c.party.name).toBe('Геннадий Федотов');
    expect(c.subject).toBe('Кухня для кафе на заказ');
    expect(c.text).toContain('Интересует кухонный гарнитур на заказ для кафе');
    expect(c.party.hints).toEqual([{ kind: 'phone', value: '8 (8552) 39-14-07' }]);
  });

  it('HTML-only mail is converted to text', async () => {
    const c = await one(await fixture('html-only-yandex.eml'));
    expect(c.text).toContain('Сколько будет стоить стеллаж для обуви 1200 мм');
    expect(c.text).not.toMatch(/<\/?(div|b)>/);
    expect(c.party.hints).toEqual([{ kind: 'phone', value: '+7 987 555 21 43' }]);
  });

  it('malformed MIME is still a message, flagged with what is wrong and with its body kept as text', async () => {
    const c = await one(await fixture('malformed-mime.eml'));
    expect(c.meta?.malformed).toEqual([
      'the multipart boundary never appears in the body',
      'no readable text part',
    ]);
    expect(c.text).toContain('нужны шкафы для раздевалки на 40 человек');
    expect(c.party.identities).toEqual([{ kind: 'email', value: 'd.orlov@mail.ru' }]);
  });

  it('an Exchange out-of-office reply and a Postfix bounce are skipped with their rule', async () => {
    expect(await skipped(await fixture('auto-reply-out-of-office.eml'))).toBe('skip_auto_reply');
    expect(await skipped(await fixture('bounce-dsn.eml'))).toBe('skip_bounce');
  });
});

describe('email normalize (rules)', () => {
  const headers = (from: string, extra = '', subject = 'Заказ') =>
    `From: ${from}\nTo: sales@mebel-fabrika.ru\nSubject: ${subject}\nMessage-ID: <m-${Math.random()}@x.ru>\n${extra}`;

  it.each([
    ['X-Autoreply header', headers('a@client.ru', 'X-Autoreply: yes')],
    ['Yandex-style X-Yandex-Autoreply', headers('a@client.ru', 'X-Yandex-Autoreply: 1')],
    ['Precedence: auto_reply', headers('a@client.ru', 'Precedence: auto_reply')],
    ['Auto-Submitted: auto-generated', headers('a@client.ru', 'Auto-Submitted: auto-generated')],
    ['"Out of Office" subject', headers('a@client.ru', '', 'Out of Office: Заказ')],
    [
      '"Автоответ" subject',
      headers('a@client.ru', '', '=?UTF-8?B?0JDQstGC0L7QvtGC0LLQtdGCOiDQl9Cw0LrQsNC3?='),
    ],
  ])('an auto-reply (%s) is skipped', async (_name, h) => {
    expect(await skipped(simple(h))).toBe('skip_auto_reply');
  });

  it('Auto-Submitted: no is a person writing', async () => {
    await one(simple(headers('a@client.ru', 'Auto-Submitted: no')));
  });

  it.each([
    ['mailer-daemon sender', headers('MAILER-DAEMON@mail.client.ru'), 'skip_bounce'],
    ['postmaster sender', headers('postmaster@client.ru'), 'skip_bounce'],
    ['X-Failed-Recipients', headers('a@client.ru', 'X-Failed-Recipients: b@c.ru'), 'skip_bounce'],
    ['our own company address', headers('info@mebel-fabrika.ru'), 'skip_own_address'],
    ['a subdomain of our domain', headers('robot@crm.mebel-fabrika.ru'), 'skip_own_address'],
    ['another mailbox of ours', headers('"Казань" <ZAKAZ@mebel-kazan.ru>'), 'skip_own_address'],
    ['a blocklisted sender', headers('spam@promo-rassylka.ru'), 'skip_blocklisted'],
    ['a blocklisted domain (subdomain)', headers('manager@mail.seo-prodvizhenie.ru'), 'skip_blocklisted'],
    ['no sender address', headers('undisclosed-recipients:;'), 'skip_no_sender'],
  ])('%s is skipped', async (_name, h, rule) => {
    expect(await skipped(simple(h))).toBe(rule);
  });

  it('Reply-To is the sender too; a reply without References threads on In-Reply-To', async () => {
    const c = await one(
      simple(
        headers(
          '"Иван" <ivan@client.ru>',
          'Reply-To: zakupki@client.ru\nIn-Reply-To: <root@mebel-fabrika.ru>',
        ),
      ),
    );
    expect(c.party.identities).toEqual([
      { kind: 'email', value: 'ivan@client.ru' },
      { kind: 'email', value: 'zakupki@client.ru' },
    ]);
    expect(c.threadKey).toBe('<root@mebel-fabrika.ru>');
  });

  it('mail without a Message-ID gets a stable id derived from its bytes', async () => {
    const raw = simple('From: a@client.ru\nSubject: без id');
    const a = await one(raw);
    const b = await one(raw);
    expect(a.externalId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.externalId).toBe(a.externalId);
    expect(emailExternalId(Buffer.from(raw))).toBe(a.externalId);
  });

  it('a folded Message-ID header is read like mailparser reads it', async () => {
    const raw = simple('From: a@client.ru\nMessage-ID:\n <folded.1@client.ru>');
    expect((await one(raw)).externalId).toBe('<folded.1@client.ru>');
  });

  it('INNs need a valid checksum; phones in the quoted part are ignored', async () => {
    const c = await one(
      simple(
        headers('a@client.ru'),
        'Реквизиты: ИНН 7707083893, ИНН 1234567890 (опечатка).\nТел. 8 912 000-11-22\n\n> тел. 8 (999) 111-22-33',
      ),
    );
    expect(c.meta?.inn).toEqual(['7707083893']);
    expect(c.party.hints).toEqual([{ kind: 'phone', value: '8 912 000-11-22' }]);
  });

  it('a reply we sent (kind sent) is outbound to its recipients, in the conversation it answers', async () => {
    const raw = simple(
      'From: "Отдел продаж" <sales@mebel-fabrika.ru>\nTo: ivan@client.ru\nSubject: Re: Заказ\nMessage-ID: <our.1@mebel-fabrika.ru>\nReferences: <root@client.ru>',
    );
    const c = await one(raw, {
      kind: 'sent',
      mailbox: 'sales',
      conversationId: '7d3f0c52-4a55-4c38-9d7e-2d1a3b9f6e10',
      threadKey: '<root@client.ru>',
      sentAt: '2026-11-21T10:00:00.000Z',
      actor: 'api:crm',
    });
    expect(c).toMatchObject({
      direction: 'out',
      externalId: '<our.1@mebel-fabrika.ru>',
      threadKey: '<root@client.ru>',
      party: { identities: [{ kind: 'email', value: 'ivan@client.ru' }], hints: [] },
    });
  });

  it('a payload that is not an email event is a normalize error, not a crash', async () => {
    const r: NormalizeResult = await source.normalize(
      { kind: 'received', mailbox: 'sales' },
      Buffer.from('x'),
    );
    expect(r).toMatchObject({ ok: false });
    expect(await source.normalize(received, undefined)).toMatchObject({ ok: false, field: 'raw' });
  });
});

describe('attachment storage', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('saves content under the data directory up to the cap, metadata only above it', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sb-att-'));
    dirs.push(dataDir);
    const store = createAttachmentStore({ dataDir, maxBytes: 1000 });
    const small = await store.save(Buffer.alloc(1000, 1), { filename: 'a.txt', contentType: 'text/plain' });
    const big = await store.save(Buffer.alloc(1001, 2), {
      filename: 'b.bin',
      contentType: 'application/pdf',
    });
    expect(small).toMatchObject({ stored: true, size: 1000 });
    expect((await stat(path.join(dataDir, small.path!))).size).toBe(1000);
    expect(big).toMatchObject({ stored: false, size: 1001, note: 'over the 1000-byte attachment cap' });
    expect(big.path).toBeUndefined();
    // Idempotent: the same content maps to the same file.
    const again = await store.save(Buffer.alloc(1000, 1), {
      filename: 'copy.txt',
      contentType: 'text/plain',
    });
    expect(again.path).toBe(small.path);
  });
});
