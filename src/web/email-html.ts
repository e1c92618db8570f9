import sanitizeHtml from 'sanitize-html';

/** An image the HTML refers to by `cid:` (a logo in a signature, a pasted screenshot). */
export interface InlineImage {
  contentType: string;
  content: Buffer;
}

export interface SanitizedEmail {
  html: string;
  /** Remote images (tracking pixels among them) that were not kept: the reader is told they are hidden. */
  blockedImages: number;
}

/** Inline images are embedded as data: URIs up to this size each; bigger ones stay in the attachment list. */
const MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024;
const RASTER = /^image\/(png|jpe?g|gif|webp|bmp)$/i;

// A CSS value may not fetch anything or run anything: no url(), image-set(), expression(), @import.
const SAFE_VALUE = /^(?!.*(?:url|image-set|expression|element|-moz-binding)\s*\().*$/is;
const STYLE_PROPS = [
  'color',
  'background-color',
  'font',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'text-align',
  'text-decoration',
  'text-transform',
  'line-height',
  'letter-spacing',
  'white-space',
  'vertical-align',
  'width',
  'max-width',
  'min-width',
  'height',
  'margin',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border',
  'border-top',
  'border-right',
  'border-bottom',
  'border-left',
  'border-color',
  'border-style',
  'border-width',
  'border-collapse',
  'border-radius',
  'display',
  'list-style-type',
];
const allowedStyles = { '*': Object.fromEntries(STYLE_PROPS.map((p) => [p, [SAFE_VALUE]])) };

const LAYOUT_ATTRS = [
  'align',
  'valign',
  'width',
  'height',
  'bgcolor',
  'border',
  'cellpadding',
  'cellspacing',
  'colspan',
  'rowspan',
  'dir',
  'lang',
  'title',
  'style',
];

/**
 * An email's HTML made safe to show inside the lead page (server side, sanitize-html: an allowlist of tags,
 * attributes, URL schemes and CSS properties). Nothing that runs survives (scripts, event handlers,
 * javascript: links, forms, frames, objects, <style> and <link>); links open in a new tab without the
 * opener or a referrer; remote images are dropped (a tracking pixel tells the sender the mail was read), and
 * `cid:` images become data: URIs from the message's own parts. The result is still served in a sandboxed
 * frame with its own CSP (src/web/pages/message-files.ts): the sanitizer is one of three walls.
 */
export function sanitizeEmailHtml(
  html: string,
  cidImage: (cid: string) => InlineImage | undefined = () => undefined,
): SanitizedEmail {
  let blockedImages = 0;
  const out = sanitizeHtml(html, {
    allowedTags: [
      ...sanitizeHtml.defaults.allowedTags,
      'img',
      'font',
      'center',
      'strike',
      'big',
      'del',
      'ins',
    ],
    // script, style, textarea, noscript, title: dropped with their content.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'xml'],
    allowedAttributes: {
      '*': LAYOUT_ATTRS,
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
      font: ['color', 'face', 'size'],
      ol: ['start', 'type'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src'],
    allowProtocolRelative: false,
    allowedStyles,
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' },
      }),
      img: (tagName, attribs) => {
        const src = (attribs.src ?? '').trim();
        const cid = /^cid:(.+)$/i.exec(src)?.[1];
        const part = cid ? cidImage(cid.replace(/^<|>$/g, '')) : undefined;
        if (part && RASTER.test(part.contentType) && part.content.length <= MAX_INLINE_IMAGE_BYTES)
          return {
            tagName,
            attribs: {
              ...attribs,
              src: `data:${part.contentType.toLowerCase()};base64,${part.content.toString('base64')}`,
            },
          };
        if (/^data:image\/(png|jpe?g|gif|webp|bmp);base64,/i.test(src)) return { tagName, attribs };
        // Remote (or unknown) image: not loaded. Its alt text stays so the sentence still reads; the reader
        // is told about remote ones (a tracking pixel), a broken `src` is just dropped.
        if (/^(https?:)?\/\//i.test(src)) blockedImages++;
        // An <img> without src shows its alt text, or nothing (turning the void <img> into another tag
        // confuses the sanitizer's closing tags, so it stays an <img>).
        const alt = (attribs.alt ?? '').trim();
        return { tagName, attribs: alt ? { alt: `[${alt}]` } : {} };
      },
    },
  });
  return { html: out, blockedImages };
}

/** The document the sandboxed frame shows: the sanitized body with a readable default style. */
export function emailDocument(body: string, note?: string): string {
  return `<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><style>
html{color-scheme:light}body{margin:0;padding:4px 2px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;overflow-wrap:anywhere}
img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}a[href]{color:#1d4ed8}
blockquote{margin:0 0 0 .5em;padding-left:.75em;border-left:3px solid #d5dbe3;color:#52606d}
.sb-note{font-size:12px;color:#52606d;background:#f3f5f8;border-radius:4px;padding:2px 8px;margin-bottom:8px;display:inline-block}
</style></head><body>${note ? `<div class="sb-note">${escapeText(note)}</div>` : ''}${body}</body></html>`;
}

export function escapeText(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
