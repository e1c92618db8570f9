/** A hostile HTML email (multipart: text, HTML, a cid: logo, a PDF) for the thread's tests. */
import { randomUUID } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAGElEQVR42mNkYPhfz0AEYBxVSF+FAP0HHgGxHbWTAAAAAElFTkSuQmCC',
  'base64',
);
export const PDF = Buffer.from('%PDF-1.4\n% Счёт на прилавок\n%%EOF\n');
/** What a hostile sender puts in an HTML email: everything here must stay inert in the manager's browser. */
export const HOSTILE_HTML = `<html><head>
<style>body{display:none}.x{background:url(https://track.evil.test/css.png)}</style>
<script>parent.__pwned = 'script'; alert('script')</script>
<meta http-equiv="refresh" content="0;url=https://evil.test/">
</head><body onload="parent.__pwned='onload'">
<p>Здравствуйте! Нужен <b>прилавок</b> 2 м, <i>срочно</i>.</p>
<img src="https://track.evil.test/pixel.gif?u=42" width="1" height="1">
<img src="x" onerror="parent.__pwned='onerror'">
<p><img src="cid:logo@client-mail.ru" alt="Логотип"></p>
<p><a href="javascript:parent.__pwned='link'">Нажмите сюда</a> · <a href="https://mebel-client.test/site">Наш сайт</a></p>
<div id="overlay" style="position:fixed;top:0;left:0;width:100%;height:100%;background:red;z-index:99">Оверлей</div>
<form action="https://evil.test/"><input name="p"><button>Отправить форму</button></form>
<iframe src="https://evil.test/frame"></iframe>
<svg onload="parent.__pwned='svg'"><circle r="5"/></svg>
</body></html>`;

export function hostileMail(from: string): string {
  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64').replace(/.{76}/g, '$&\r\n');
  const word = (s: string) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
  return [
    `From: ${word('Ева Хакерова')} <${from}>`,
    'To: sales@mebel-fabrika.ru',
    `Subject: ${word('Прилавок 2 м')}`,
    'Date: Fri, 20 Nov 2026 09:00:00 +0000',
    `Message-ID: <${randomUUID()}@client-mail.ru>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mixed"',
    '',
    '--mixed',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    b64('Здравствуйте! Нужен прилавок 2 м, срочно.'),
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    b64(HOSTILE_HTML),
    '--alt--',
    '--rel',
    'Content-Type: image/png',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <logo@client-mail.ru>',
    'Content-Disposition: inline; filename="logo.png"',
    '',
    b64(PNG),
    '--rel--',
    '--mixed',
    `Content-Type: application/pdf; name="${word('Счёт.pdf')}"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent('Счёт.pdf')}`,
    '',
    b64(PDF),
    '--mixed--',
    '',
  ].join('\r\n');
}

/** A w×h PNG with a soft diagonal gradient: a photo that looks like one in the screenshots. */
export function gradientPng(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      rows[o] = 120 + Math.round((100 * x) / w);
      rows[o + 1] = 150 + Math.round((60 * y) / h);
      rows[o + 2] = 200;
    }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
