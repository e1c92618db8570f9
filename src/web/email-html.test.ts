import { describe, expect, it } from 'vitest';
import { emailDocument, sanitizeEmailHtml } from './email-html.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

describe('sanitizeEmailHtml', () => {
  it('drops everything that runs: scripts, handlers, javascript: links, forms, frames, objects', () => {
    const { html } = sanitizeEmailHtml(`
      <p onclick="alert(1)">Привет</p><script>alert(2)</script><img src=x onerror="alert(3)">
      <a href="javascript:alert(4)">ссылка</a><a href=" JaVaScRiPt:alert(5)">ещё</a>
      <a href="data:text/html,<script>alert(6)</script>">data</a>
      <form action="https://evil.example/"><input name=q><button>Отправить</button></form>
      <iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="x">
      <svg onload="alert(7)"><script>alert(8)</script></svg><math><mi xlink:href="javascript:alert(9)">m</mi></math>
      <meta http-equiv="refresh" content="0;url=https://evil.example/"><link rel=stylesheet href="https://evil.example/a.css">
      <base href="https://evil.example/"><textarea>x</textarea>`);
    for (const bad of [
      'script',
      'onclick',
      'onerror',
      'onload',
      'javascript:',
      'data:text',
      '<form',
      '<input',
      '<iframe',
      '<object',
      '<embed',
      '<svg',
      '<meta',
      '<link',
      '<base',
      '<textarea',
      'alert(',
    ])
      expect(html.toLowerCase()).not.toContain(bad);
    expect(html).toContain('<p>Привет</p>');
    expect(html).toContain('ссылка');
  });

  it('keeps links, opening them in a new tab without opener or referrer', () => {
    const { html } = sanitizeEmailHtml(
      '<a href="https://example.ru/price" target="_self" rel="opener">прайс</a>',
    );
    expect(html).toBe(
      '<a href="https://example.ru/price" target="_blank" rel="noopener noreferrer">прайс</a>',
    );
    expect(sanitizeEmailHtml('<a href="mailto:a@b.ru">почта</a>').html).toContain('href="mailto:a@b.ru"');
  });

  it('does not load remote images (tracking pixels) and says how many were hidden', () => {
    const r = sanitizeEmailHtml(
      '<p>Текст<img src="https://track.example/p.gif?id=1" width="1" height="1"></p>' +
        '<img src="//track.example/x.png" alt="Логотип"><img src="http://a.example/b.jpg">',
    );
    expect(r.html).not.toContain('track.example');
    expect(r.html).not.toContain('a.example');
    expect(r.html).toBe('<p>Текст<img /></p><img alt="[Логотип]" /><img />');
    expect(r.blockedImages).toBe(3);
  });

  it('embeds cid: images from the message, and only raster images', () => {
    const parts: Record<string, { contentType: string; content: Buffer }> = {
      'logo@x': { contentType: 'image/png', content: PNG },
      'vector@x': { contentType: 'image/svg+xml', content: Buffer.from('<svg onload="alert(1)"/>') },
    };
    const r = sanitizeEmailHtml(
      '<img src="cid:logo@x" alt="logo"><img src="cid:vector@x"><img src="cid:none@x">',
      (id) => parts[id],
    );
    expect(r.html).toContain(`src="data:image/png;base64,${PNG.toString('base64')}"`);
    expect(r.html).not.toContain('svg');
    expect(r.blockedImages).toBe(0); // not remote: dropped without a note
  });

  it('keeps layout styles but nothing that fetches, positions over the page or runs', () => {
    const { html } = sanitizeEmailHtml(
      '<div style="color: red; position: fixed; top: 0; background-image: url(https://t.example/a.png); ' +
        'width: expression(alert(1)); font-weight: bold; z-index: 9999">x</div>' +
        '<style>@import url(https://t.example/s.css); body { background: url(https://t.example/b) }</style>' +
        '<table bgcolor="#fff" cellpadding="4"><tr><td align="right">1</td></tr></table>',
    );
    expect(html).toContain('color:red');
    expect(html).toContain('font-weight:bold');
    for (const bad of ['position', 'url(', 'expression', 'z-index', 'import', 't.example'])
      expect(html).not.toContain(bad);
    expect(html).toContain('<table bgcolor="#fff" cellpadding="4"><tr><td align="right">1</td></tr></table>');
  });

  it('the frame document escapes its note and carries the body as given', () => {
    const doc = emailDocument('<p>тело</p>', 'Скрыто <картинок>: 2');
    expect(doc).toContain('Скрыто &lt;картинок&gt;: 2');
    expect(doc).toContain('<p>тело</p>');
    expect(doc).not.toContain('<script');
  });
});
