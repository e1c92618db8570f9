import type { Hono } from 'hono';
import type { WebContext, WebDeps, WebEnv } from '../context.js';
import { emailDocument, escapeText, sanitizeEmailHtml } from '../email-html.js';
import { ru } from '../i18n/ru.js';
import { leadFor } from '../services/lead-view.js';
import { contactMessage, emailOriginal, messageFile } from '../services/message-files.js';
import { HttpPageError } from './errors.js';

const MESSAGE = '/leads/:id{[0-9a-f-]{36}}/messages/:mid{[0-9a-f-]{36}}';

/**
 * The email frame: the document is sanitized, and still it may run nothing, load nothing from elsewhere, and
 * only be framed by the app (the iframe adds its own sandbox; `sandbox` here covers a direct visit).
 */
const FRAME_CSP =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox";
/** A served file is never a page: nothing in it runs, even when a browser is asked to show it. */
const FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox";

/** Content shown in place (a preview, a player); everything else downloads. */
const INLINE_TYPES = /^(image\/(png|jpe?g|gif|webp|bmp)|audio\/[\w.+-]+|video\/(mp4|webm|ogg))$/i;
const MIME = /^[\w.+-]+\/[\w.+-]+$/;

/** `attachment; filename="ascii"; filename*=UTF-8''…` (RFC 6266): Cyrillic names survive every browser. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string | null): string {
  const name = (filename ?? 'file').replace(/[\r\n"\\/]/g, '_');
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** An email's body for the lead page's frame, and attachments and media for download or preview. */
export function registerMessageFiles(web: Hono<WebEnv>, deps: WebDeps): void {
  const visibleMessage = async (c: WebContext) => {
    const access = await leadFor(deps.sql, c.get('user'), c.req.param('id')!);
    if (!access.ok) throw new HttpPageError(access.reason === 'forbidden' ? 403 : 404);
    const m = await contactMessage(deps.sql, access.lead.contactId, c.req.param('mid')!);
    if (!m) throw new HttpPageError(404);
    return m;
  };

  web.get(`${MESSAGE}/body`, async (c) => {
    const m = await visibleMessage(c);
    if (m.channel !== 'email') throw new HttpPageError(404);
    const mail = await emailOriginal(deps.sql, deps.dataDir, m);
    let doc: string;
    if (mail && typeof mail.html === 'string' && mail.html.trim()) {
      const inline = new Map(mail.attachments.filter((a) => a.cid).map((a) => [a.cid!, a]));
      const clean = sanitizeEmailHtml(mail.html, (cid) => inline.get(cid));
      doc = emailDocument(
        clean.html,
        clean.blockedImages > 0 ? ru.lead.imagesBlocked(clean.blockedImages) : undefined,
      );
    } else {
      const text = mail?.text ?? m.body ?? '';
      doc = emailDocument(`<div style="white-space:pre-wrap">${escapeText(text)}</div>`);
    }
    return c.body(doc, 200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': FRAME_CSP,
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cache-control': 'private, max-age=300',
    });
  });

  web.get(`${MESSAGE}/files/:n{[0-9]{1,4}}`, async (c) => {
    const m = await visibleMessage(c);
    const file = await messageFile(deps.sql, deps.dataDir, m, Number(c.req.param('n')));
    if (!file) throw new HttpPageError(404, ru.lead.fileGone);
    const declared = file.contentType.split(';')[0]!.trim().toLowerCase();
    const type = MIME.test(declared) ? declared : 'application/octet-stream';
    const inline = INLINE_TYPES.test(type) && c.req.query('download') === undefined;
    return c.body(new Uint8Array(file.content), 200, {
      'content-type': type,
      'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', file.filename),
      'content-length': String(file.content.length),
      'content-security-policy': FILE_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=3600',
    });
  });
}
