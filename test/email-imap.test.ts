import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../src/core/communication.js';
import { type Dovecot, startDovecot } from './support/dovecot.js';
import {
  composeMail,
  createDaemonHarness,
  type DaemonHarness,
  type EmailMeta,
  type EmailPayload,
  emailTestConfig,
  readiness,
  waitFor,
} from './support/email.js';
import { freshEmail, freshPhone } from './support/ids.js';
import { backends } from './support/pg.js';
import { startSmtpCapture } from './support/smtp.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/email/', import.meta.url));
const fixture = (name: string) => readFile(path.join(FIXTURES, name));

const SALES = { user: 'sales', password: 'sales-imap-secret' };
const INFO = { user: 'info', password: 'info-imap-secret' };
const SMTP = { user: 'sales', password: 'sales-smtp-secret' };

interface EventRow {
  id: string;
  status: string;
  decision: Decision[] | null;
  skipped: { rule: string; reason: string }[] | null;
  lastError: string | null;
}

describe.each(backends())('the email channel against a real Dovecot and SMTP server, on %s', (backend) => {
  let dovecot: Dovecot;
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
  let h: DaemonHarness;

  beforeAll(async () => {
    dovecot = await startDovecot([SALES, INFO]);
    smtp = await startSmtpCapture(SMTP);
    // Sent must exist before its watcher first selects it.
    await dovecot.recreateFolder(SALES, 'Sent');
    h = await createDaemonHarness(backend);
    await h.start(
      emailTestConfig({
        mailboxes: [
          {
            label: 'sales',
            address: 'sales@mebel-fabrika.ru',
            fromName: 'Мебель-Фабрика, отдел продаж',
            host: '127.0.0.1',
            port: dovecot.port,
            tls: 'none',
            user: SALES.user,
            password: SALES.password,
            folders: ['INBOX', 'Sent'],
            backfill: true,
            smtp: { host: '127.0.0.1', port: smtp.port, tls: 'none', password: SMTP.password },
          },
          {
            // Wrong password: reported and retried while `sales` keeps working.
            label: 'info',
            address: 'info@mebel-fabrika.ru',
            host: '127.0.0.1',
            port: dovecot.port,
            tls: 'none',
            user: INFO.user,
            password: 'not-the-password',
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
    await dovecot?.stop();
  });

  const sql = () => h.daemon.sql;
  const eventOf = async (externalId: string): Promise<EventRow | undefined> => {
    const [row] = await sql()<EventRow[]>`
      SELECT id, status, decision, skipped, last_error FROM inbound_events
      WHERE source = 'email' AND external_id = ${externalId}`;
    return row;
  };
  const processed = (externalId: string, timeoutMs?: number) =>
    waitFor(
      async () => {
        const e = await eventOf(externalId);
        return e && e.status !== 'received' ? e : undefined;
      },
      `event ${externalId} processed`,
      timeoutMs,
    );
  const deliver = async (raw: string | Buffer, folder = 'INBOX') => dovecot.append(SALES, folder, raw);
  const cursorPast = (folder: string, uid: number) =>
    waitFor(async () => {
      const [c] = await sql()<{ lastUid: string }[]>`
        SELECT last_uid::text FROM email_cursors WHERE mailbox = 'sales' AND folder = ${folder}`;
      return c && Number(c.lastUid) >= uid;
    }, `${folder} cursor past UID ${uid}`);

  it('a new sender becomes a new lead; a phone in the signature is kept as an unverified hint', async () => {
    const from = freshEmail();
    const phone = freshPhone();
    const m = composeMail({
      from,
      fromName: 'Олег Тестов',
      subject: 'Запрос КП на стеллажи',
      text: `Добрый день! Нужны стеллажи для склада, 12 секций.\n\n--\nОлег Тестов\nтел. 8 (${phone.slice(0, 3)}) ${phone.slice(3, 6)}-${phone.slice(6, 8)}-${phone.slice(8)}`,
    });
    await deliver(m.raw);
    const e = await processed(m.messageId);
    expect(e.status).toBe('processed');
    expect(e.decision?.[0]).toMatchObject({ kind: 'new_lead' });
    const lead = await h.request('GET', `/api/v1/leads/${e.decision![0]!.leadId}`);
    expect(lead.body).toMatchObject({ channel: 'email', account: 'sales', kind: 'new' });
    expect(lead.body.messages[0]).toMatchObject({ direction: 'in', subject: 'Запрос КП на стеллажи' });
    const contact = await h.request('GET', `/api/v1/contacts/${e.decision![0]!.contactId}`);
    expect(contact.body.name).toBe('Олег Тестов');
    expect(contact.body.identities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'email', value: from, verified: true }),
        expect.objectContaining({
          kind: 'phone',
          value: `+7${phone}`,
          verified: false,
          source: 'hint:email',
        }),
      ]),
    );
    // The raw message was stored exactly as fetched.
    const [stored] = await sql()<{ raw: Buffer; contentType: string }[]>`
      SELECT raw, content_type FROM inbound_events WHERE id = ${e.id}`;
    expect(stored!.contentType).toBe('message/rfc822');
    expect(stored!.raw.toString()).toBe(m.raw);
  });

  it('a known client (pushed by the CRM) gets a repeat lead; one with an active deal is attached to it', async () => {
    const client = freshEmail();
    const withDeal = freshEmail();
    const n = randomBytes(4).toString('hex');
    expect(
      (await h.request('PUT', `/api/v1/contacts/crm-${n}-1`, { name: 'Клиент', emails: [client] })).status,
    ).toBe(200);
    expect(
      (await h.request('PUT', `/api/v1/contacts/crm-${n}-2`, { name: 'С сделкой', emails: [withDeal] }))
        .status,
    ).toBe(200);
    const deal = await h.request('PUT', `/api/v1/deals/deal-${n}`, {
      contactExternalId: `crm-${n}-2`,
      status: 'active',
      stage: 'Договор',
    });
    expect(deal.status).toBe(200);

    const a = composeMail({ from: client, subject: 'Снова к вам', text: 'Нужна ещё одна стойка.' });
    const b = composeMail({ from: withDeal, subject: 'По договору', text: 'Когда доставка?' });
    await deliver(a.raw);
    await deliver(b.raw);
    expect((await processed(a.messageId)).decision?.[0]).toMatchObject({ kind: 'repeat_lead' });
    const attached = (await processed(b.messageId)).decision?.[0];
    expect(attached).toMatchObject({ kind: 'attached_to_deal' });
    expect(attached?.dealId).toBeDefined();
    expect(attached?.leadId).toBeUndefined();
  });

  it('a manager replies by SMTP in the thread; our copy over IMAP is not inbound; the client’s answer joins the conversation', async () => {
    const from = freshEmail();
    const first = composeMail({
      from,
      fromName: 'Ирина',
      subject: 'Стойка ресепшн',
      text: 'Сколько стоит стойка 2 м?',
    });
    await deliver(first.raw);
    const d1 = (await processed(first.messageId)).decision![0]!;
    expect(d1.kind).toBe('new_lead');

    const sentBefore = smtp.received.length;
    const res = await h.request('POST', `/api/v1/conversations/${d1.conversationId}/messages`, {
      text: 'Ирина, добрый день! Стойка 2 м — 84 000 руб., срок 3 недели.',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      conversationId: d1.conversationId,
      externalId: expect.stringMatching(/@mebel-fabrika\.ru>$/),
    });
    expect(smtp.received).toHaveLength(sentBefore + 1);
    const sent = smtp.received.at(-1)!;
    expect(sent.from).toBe('sales@mebel-fabrika.ru');
    expect(sent.to).toEqual([from]);
    const parsed = await simpleParser(sent.raw);
    expect(parsed.from?.value[0]).toMatchObject({
      address: 'sales@mebel-fabrika.ru',
      name: 'Мебель-Фабрика, отдел продаж',
    });
    expect(parsed.subject).toBe('Re: Стойка ресепшн');
    expect(parsed.messageId).toBe(res.body.externalId);
    expect(parsed.inReplyTo).toBe(first.messageId);
    expect([parsed.references].flat()).toEqual([first.messageId]);
    expect(parsed.text?.trim()).toBe('Ирина, добрый день! Стойка 2 м — 84 000 руб., срок 3 недели.');

    const out = await sql()<{ direction: string; conversationId: string; leadId: string | null }[]>`
      SELECT direction, conversation_id, lead_id FROM messages WHERE external_id = ${res.body.externalId}`;
    expect(out).toEqual([{ direction: 'out', conversationId: d1.conversationId, leadId: d1.leadId }]);

    // The server files a copy in Sent and a self-CC lands in INBOX: both are recognized as ours.
    const eventsBefore = await sql()<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_events`;
    await cursorPast('Sent', await deliver(sent.raw, 'Sent'));
    await cursorPast('INBOX', await deliver(sent.raw, 'INBOX'));
    const eventsAfter = await sql()<{ n: number }[]>`SELECT count(*)::int AS n FROM inbound_events`;
    expect(eventsAfter[0]!.n).toBe(eventsBefore[0]!.n);
    const copies = await sql()`SELECT 1 FROM messages WHERE external_id = ${res.body.externalId}`;
    expect(copies).toHaveLength(1);

    const answer = composeMail({
      from,
      subject: 'Re: Стойка ресепшн',
      text: 'Спасибо, берём. Выставьте счёт.',
      inReplyTo: res.body.externalId,
      references: [first.messageId, res.body.externalId],
    });
    await deliver(answer.raw);
    const d2 = (await processed(answer.messageId)).decision![0]!;
    expect(d2).toMatchObject({
      kind: 'attached_to_lead',
      leadId: d1.leadId,
      conversationId: d1.conversationId,
    });
  });

  it('signature phones: one of the sender’s contact confirms it, one of another contact is a merge suggestion', async () => {
    const n = randomBytes(4).toString('hex');
    const [own, other] = [freshPhone(), freshPhone()];
    const email = freshEmail();
    await h.request('PUT', `/api/v1/contacts/crm-${n}-a`, {
      name: 'Пётр',
      emails: [email],
      phones: [`8${own}`],
    });
    const otherContact = await h.request('PUT', `/api/v1/contacts/crm-${n}-b`, {
      name: 'Другой',
      phones: [`8${other}`],
    });
    const m = composeMail({
      from: email,
      subject: 'Дозаказ',
      text: `Нужно ещё 2 стола.\n\n--\nПётр\nмоб. +7 ${own}\nсклад: 8 ${other}`,
    });
    await deliver(m.raw);
    const d = (await processed(m.messageId)).decision![0]!;
    expect(d.matches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'phone',
          value: `+7${own}`,
          outcome: 'confirmed_hint',
          contactId: d.contactId,
        }),
        expect.objectContaining({ kind: 'phone', value: `+7${other}`, outcome: 'conflict' }),
      ]),
    );
    expect(d.mergeSuggestionIds).toHaveLength(1);
    // Never merged automatically: the other contact keeps its phone.
    const after = await h.request('GET', `/api/v1/contacts/${otherContact.body.id}`);
    expect(after.body.identities).toEqual([expect.objectContaining({ kind: 'phone', value: `+7${other}` })]);
  });

  it('replies are refused on a conversation whose channel cannot send', async () => {
    const inbound = await h.request('POST', '/api/v1/inbound', {
      channel: 'webform',
      account: 'site',
      direction: 'in',
      occurredAt: '2026-11-20T09:15:00+03:00',
      from: { phones: [`8${freshPhone()}`] },
      text: 'Перезвоните',
    });
    expect(inbound.status).toBe(200);
    const res = await h.request(
      'POST',
      `/api/v1/conversations/${inbound.body.decision.conversationId}/messages`,
      {
        text: 'Добрый день',
      },
    );
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe('replies on the webform channel are not supported');
  });

  it('an SMTP refusal is reported clearly and nothing is recorded as sent', async () => {
    const from = freshEmail();
    const m = composeMail({ from, subject: 'Вопрос', text: 'Есть ли в наличии?' });
    await deliver(m.raw);
    const d = (await processed(m.messageId)).decision![0]!;
    smtp.reject(from);
    const res = await h.request('POST', `/api/v1/conversations/${d.conversationId}/messages`, {
      text: 'Да, есть.',
    });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('upstream_failed');
    expect(res.body.error.message).toMatch(/SMTP server 127\.0\.0\.1 refused the message: 550/);
    const outbound =
      await sql()`SELECT 1 FROM messages WHERE conversation_id = ${d.conversationId} AND direction = 'out'`;
    expect(outbound).toHaveLength(0);
    const metrics = await fetch(`http://127.0.0.1:${h.daemon.port}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/switchboard_email_replies_total\{mailbox="sales",outcome="failed"\} [1-9]/);
  });

  it('auto-replies and bounces are recorded as skipped with their reason and create no contact or lead', async () => {
    const contactsBefore = await sql()<{ n: number }[]>`SELECT count(*)::int AS n FROM contacts`;
    const auto = await fixture('auto-reply-out-of-office.eml');
    const bounce = await fixture('bounce-dsn.eml');
    await deliver(auto);
    await deliver(bounce);
    const a = await processed('<bc3f1d0a9e8d4c7b@EX01.krasnodar-stroy.local>');
    const b = await processed('<20261120071244.7F1B2C0A3D@mx1.mebel-fabrika.ru>');
    expect(a).toMatchObject({ status: 'processed', decision: [] });
    expect(a.skipped).toEqual([expect.objectContaining({ rule: 'skip_auto_reply' })]);
    expect(b.skipped).toEqual([expect.objectContaining({ rule: 'skip_bounce' })]);
    const contactsAfter = await sql()<{ n: number }[]>`SELECT count(*)::int AS n FROM contacts`;
    expect(contactsAfter[0]!.n).toBe(contactsBefore[0]!.n);
    const trail = await sql()<{ action: string }[]>`
      SELECT action FROM audit_log WHERE entity_type = 'inbound_event' AND entity_id IN (${a.id}, ${b.id}) ORDER BY action`;
    expect(trail.map((t) => t.action)).toEqual(['skipped.skip_auto_reply', 'skipped.skip_bounce']);
    const listed = await h.request('GET', '/api/v1/inbound-events?status=processed&limit=500');
    expect(listed.body.events.find((e: { id: string }) => e.id === a.id).skipped[0].rule).toBe(
      'skip_auto_reply',
    );
    const metrics = await fetch(`http://127.0.0.1:${h.daemon.port}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/switchboard_inbound_events_total\{channel="email",decision="skipped"\} [2-9]/);
  });

  it('Cyrillic in UTF-8, KOI8-R and windows-1251 (encoded words too) arrives readable; attachments are saved', async () => {
    for (const f of [
      'quote-request-gmail.eml',
      'koi8r-legacy.eml',
      'outlook-multipart-attachment.eml',
      'html-only-yandex.eml',
    ])
      await deliver(await fixture(f));
    const expectations: [string, string, string, string][] = [
      [
        '<CAJq3xZ7v1Lk0fK9mQ2wYp8sT4nR6hE5uD3cB1aXz0oN9iG7jHw@mail.gmail.com>',
        'Запрос КП: ресепшн и витрины для салона в Казани',
        'ресепшн-стойка 2400×800 мм',
        'Ольга Смирнова',
      ],
      [
        '<20261120162000.4F2A1@chelny-net.ru>',
        'Кухня для кафе на заказ',
        'кухонный гарнитур на заказ для кафе',
        'Геннадий Федотов',
      ],
      [
        '<AM0PR07MB6420C1D2E3F4A5B6C7D8E9F0A1B2C@AM0PR07MB6420.eurprd07.prod.outlook.com>',
        'ТЗ на офисную мебель, 3 этаж',
        'техническое задание на мебель для офиса',
        'Сидоров Павел Андреевич',
      ],
      [
        '<1733120695.a1b2c3d4e5f6@mail.yandex.ru>',
        'Стеллаж для обуви',
        'стеллаж для обуви 1200 мм',
        'Марина Галиева',
      ],
    ];
    for (const [id, subject, body, name] of expectations) {
      const e = await processed(id);
      expect(e.decision?.[0]?.kind).toBe('new_lead');
      const [msg] = await sql()<{ subject: string; body: string; meta: EmailMeta; contactName: string }[]>`
        SELECT m.subject, m.body, m.meta, c.name AS contact_name FROM messages m JOIN contacts c ON c.id = m.contact_id
        WHERE m.external_id = ${id}`;
      expect(msg).toMatchObject({ subject, contactName: name });
      expect(msg!.body).toContain(body);
      if (id.includes('outlook')) {
        const att = msg!.meta.attachments[0];
        expect(att).toMatchObject({
          filename: 'ТЗ_офис_3этаж.pdf',
          contentType: 'application/pdf',
          stored: true,
        });
        const file = await readFile(path.join(h.dataDir, att!.path));
        expect(file.subarray(0, 8).toString()).toBe('%PDF-1.4');
      }
    }
  });

  it('a 20 MB attachment is stored with its metadata and content', async () => {
    const content = randomBytes(20 * 1024 * 1024);
    const from = freshEmail();
    const messageId = `<big-${randomBytes(6).toString('hex')}@client-mail.ru>`;
    const raw = [
      `From: <${from}>`,
      'To: sales@mebel-fabrika.ru',
      'Subject: =?UTF-8?B?0KfQtdGA0YLQtdC20Lgg0YbQtdGF0LA=?=',
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Чертежи во вложении.',
      '--b1',
      'Content-Type: application/zip; name="drawings.zip"',
      'Content-Disposition: attachment; filename="drawings.zip"',
      'Content-Transfer-Encoding: base64',
      '',
      content.toString('base64').replace(/.{76}/g, '$&\r\n'),
      '--b1--',
      '',
    ].join('\r\n');
    await deliver(raw);
    const e = await processed(messageId, 90_000);
    expect(e.decision?.[0]?.kind).toBe('new_lead');
    const [msg] = await sql()<
      { subject: string; meta: EmailMeta }[]
    >`SELECT subject, meta FROM messages WHERE external_id = ${messageId}`;
    expect(msg!.subject).toBe('Чертежи цеха');
    expect(msg!.meta.attachments).toEqual([
      expect.objectContaining({
        filename: 'drawings.zip',
        contentType: 'application/zip',
        size: content.length,
        stored: true,
      }),
    ]);
    const file = await stat(path.join(h.dataDir, msg!.meta.attachments[0]!.path));
    expect(file.size).toBe(content.length);
    // The raw message is kept whole: in the row on PostgreSQL, in a checksummed file on the embedded database.
    const [ev] = await sql()<{ rawLength: number | null; payload: EmailPayload }[]>`
      SELECT octet_length(raw) AS raw_length, payload FROM inbound_events WHERE id = ${e.id}`;
    if (backend === 'postgres') expect(ev!.rawLength).toBe(Buffer.byteLength(raw));
    else {
      expect(ev!.rawLength).toBeNull();
      expect(ev!.payload.rawFile.size).toBe(Buffer.byteLength(raw));
      expect((await stat(path.join(h.dataDir, ev!.payload.rawFile.path))).size).toBe(Buffer.byteLength(raw));
    }
  }, 120_000);

  it('malformed MIME is stored, flagged and still decided, without crashing anything', async () => {
    await deliver(await fixture('malformed-mime.eml'));
    const e = await processed('<1763739190.558812345@f512.i.mail.ru>');
    expect(e.decision?.[0]?.kind).toBe('new_lead');
    const [msg] = await sql()<{ body: string; meta: EmailMeta }[]>`
      SELECT body, meta FROM messages WHERE external_id = '<1763739190.558812345@f512.i.mail.ru>'`;
    expect(msg!.meta.malformed).toContain('the multipart boundary never appears in the body');
    expect(msg!.body).toContain('нужны шкафы для раздевалки');
    // The daemon is still fine and still takes mail.
    const after = composeMail({ from: freshEmail(), subject: 'После', text: 'Проверка' });
    await deliver(after.raw);
    expect((await processed(after.messageId)).status).toBe('processed');
  });

  it('a mailbox with wrong credentials is reported in /readyz and metrics and retried; the others keep working', async () => {
    const ready = await waitFor(async () => {
      const r = await readiness(h.daemon.port);
      return (r.email.info?.INBOX?.failures ?? 0) >= 2 ? r : undefined;
    }, 'the info mailbox to fail twice');
    // Ready (or degraded for want of a numbering plan in this test): a broken mailbox does not stop intake.
    expect(ready.status).not.toBe('not_ready');
    expect(ready.email.info?.INBOX).toMatchObject({ state: 'error', lastErrorKind: 'auth' });
    expect(ready.email.info?.INBOX?.lastError).toMatch(/Authentication failed/i);
    expect(ready.email.sales?.INBOX?.state).toBe('connected');
    expect(JSON.stringify(ready)).not.toContain('not-the-password');
    const metrics = await fetch(`http://127.0.0.1:${h.daemon.port}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(
      /switchboard_email_connection_failures_total\{mailbox="info",folder="INBOX",kind="auth"\} ([2-9]|\d\d)/,
    );
    expect(metrics).toContain('switchboard_email_folder_up{mailbox="info",folder="INBOX"} 0');
    expect(metrics).toContain('switchboard_email_folder_up{mailbox="sales",folder="INBOX"} 1');
  });
});
