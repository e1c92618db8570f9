import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFetchedMessage } from '../src/channels/email/store.js';
import { createTestContext, type TestContext } from './support/context.js';
import { hostileMail, PDF } from './support/html-mail.js';
import { freshEmail } from './support/ids.js';
import { backends } from './support/pg.js';
import { cookieJar, PASSWORD, webConfig } from './support/web.js';

// The lead page's email body and attachment routes, through app.request on both databases: the raw message
// is read back from the inbound store (bytea), parsed and sanitized; an attachment over the storage cap is
// served from the raw message; another team's manager gets neither.
describe.each(backends())('web app: email bodies and attachments (%s)', (backend) => {
  let ctx: TestContext;
  let leadId: string;
  let messageId: string;

  beforeAll(async () => {
    ctx = await createTestContext(
      backend,
      await webConfig({
        email: {
          // Nothing is saved beside the raw message: files come from the raw bytes.
          attachments: { maxBytes: 8 },
          mailboxes: [
            {
              label: 'sales',
              address: 'sales@mebel-fabrika.ru',
              host: '127.0.0.1',
              port: 1,
              tls: 'none',
              user: 'sales',
              password: 'unused',
            },
          ],
        },
      }),
    );
    const stored = await storeFetchedMessage(ctx.db.sql, {
      event: {
        kind: 'received',
        mailbox: 'sales',
        folder: 'INBOX',
        uid: 1,
        uidValidity: '1',
        receivedAt: ctx.clock.clock().toISOString(),
      },
      raw: Buffer.from(hostileMail(freshEmail())),
    });
    if (stored.status !== 'stored') throw new Error(stored.status);
    const outcome = (await ctx.processor.process(stored.eventId)) as {
      decisions: { leadId: string; messageId: string }[];
    };
    leadId = outcome.decisions[0]!.leadId;
    messageId = outcome.decisions[0]!.messageId;
  });
  afterAll(() => ctx?.close());

  async function signedIn(login: string) {
    const jar = cookieJar();
    const res = await ctx.app.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ login, password: PASSWORD, next: '/' }).toString(),
    });
    jar.store(res);
    return (path: string) => ctx.app.request(path, { headers: { cookie: jar.header() } });
  }

  it('the thread frames the HTML body; the frame is sanitized, sandboxed and loads nothing from elsewhere', async () => {
    const get = await signedIn('petrova');
    const page = await (await get(`/leads/${leadId}`)).text();
    expect(page).toContain(`src="/leads/${leadId}/messages/${messageId}/body"`);
    expect(page).toContain('sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"');
    expect(page).toContain(`href="/leads/${leadId}/messages/${messageId}/files/1"`); // 0 is the inline logo
    const body = await get(`/leads/${leadId}/messages/${messageId}/body`);
    expect(body.status).toBe(200);
    const csp = body.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).toMatch(/sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox$/);
    expect(csp).not.toContain('allow-scripts');
    expect(body.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const html = await body.text();
    expect(html).toContain('<b>прилавок</b>');
    expect(html).toContain('Внешние картинки не загружены (1)');
    expect(html).toMatch(/<img src="data:image\/png;base64,[^"]+" alt="Логотип" \/>/);
    expect(html).not.toMatch(/<script|onerror|onload|javascript:|evil\.test|position|<form|<iframe|<svg/i);
  });

  it('an attachment downloads with its type and Russian name, re-read from the raw message', async () => {
    const get = await signedIn('petrova');
    const res = await get(`/leads/${leadId}/messages/${messageId}/files/1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="____.pdf"; filename*=UTF-8''${encodeURIComponent('Счёт.pdf')}`,
    );
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PDF);
    // The inline logo is served as an image shown in place.
    const logo = await get(`/leads/${leadId}/messages/${messageId}/files/0`);
    expect(logo.headers.get('content-type')).toBe('image/png');
    expect(logo.headers.get('content-disposition')).toMatch(/^inline; /);
    expect((await get(`/leads/${leadId}/messages/${messageId}/files/7`)).status).toBe(404);
  });

  it('another team’s manager is refused; a message of another contact is not found', async () => {
    const other = await signedIn('ivanov');
    expect((await other(`/leads/${leadId}/messages/${messageId}/files/1`)).status).toBe(403);
    expect((await other(`/leads/${leadId}/messages/${messageId}/body`)).status).toBe(403);
    const get = await signedIn('petrova');
    const stranger = '00000000-0000-4000-8000-000000000000';
    expect((await get(`/leads/${leadId}/messages/${stranger}/body`)).status).toBe(404);
  });
});
