import { describe, expect, it } from 'vitest';
import { mediaOf, safeUrl } from './media.js';

describe('mediaOf', () => {
  it('email: non-inline attachments with their stored index, typed by content type', () => {
    const items = mediaOf('email', {
      attachments: [
        { filename: 'logo.png', contentType: 'image/png', size: 10, inline: true },
        { filename: 'Счёт.pdf', contentType: 'application/pdf', size: 2048, stored: true },
        { filename: 'фото.jpg', contentType: 'image/jpeg', size: 5000, stored: false },
      ],
    });
    expect(items).toEqual([
      { kind: 'document', name: 'Счёт.pdf', size: 2048, contentType: 'application/pdf', file: 1 },
      { kind: 'photo', name: 'фото.jpg', size: 5000, contentType: 'image/jpeg', file: 2 },
    ]);
  });

  it('WhatsApp: the stored media file (or just its type when it was not downloaded)', () => {
    expect(
      mediaOf('whatsapp', {
        media: { type: 'image', mimetype: 'image/jpeg', path: 'whatsapp/a/media/x.jpg', size: 9 },
      }),
    ).toEqual([{ kind: 'photo', contentType: 'image/jpeg', size: 9, file: 0 }]);
    expect(mediaOf('whatsapp', { media: { type: 'ptt' } })).toEqual([{ kind: 'voice' }]);
    expect(mediaOf('whatsapp', { type: 'chat' })).toEqual([]);
  });

  it('Telegram: provider file ids only, so a type and a name without a link', () => {
    const items = mediaOf('telegram', {
      telegram: {
        attachments: [
          { type: 'photo', fileId: 'AgAD', size: 100 },
          { type: 'document', fileId: 'BQAD', name: 'прайс.xlsx', mimeType: 'application/vnd.ms-excel' },
          { type: 'voice', fileId: 'AwAD', duration: 7, mimeType: 'audio/ogg' },
        ],
      },
    });
    expect(items.map((i) => [i.kind, i.name, i.url, i.file])).toEqual([
      ['photo', undefined, undefined, undefined],
      ['document', 'прайс.xlsx', undefined, undefined],
      ['voice', undefined, undefined, undefined],
    ]);
    expect(items[2]?.durationSeconds).toBe(7);
  });

  it('VK, Viber, Avito and MAX: provider links, and only http(s) ones', () => {
    expect(
      mediaOf('vk', {
        attachments: [
          { kind: 'photo', url: 'https://sun9.userapi.com/a.jpg' },
          { kind: 'voice', url: 'https://psv4.userapi.com/v.mp3', durationSeconds: 3 },
          { kind: 'file', url: 'javascript:alert(1)', name: 'x.doc' },
        ],
      }),
    ).toEqual([
      { kind: 'photo', url: 'https://sun9.userapi.com/a.jpg' },
      { kind: 'voice', url: 'https://psv4.userapi.com/v.mp3', durationSeconds: 3 },
      { kind: 'document', name: 'x.doc' },
    ]);
    expect(mediaOf('avito', { attachments: [{ kind: 'voice', ref: 'v1' }] })).toEqual([{ kind: 'voice' }]);
    expect(
      mediaOf('max', { max: { attachments: [{ type: 'image', url: 'https://i.oneme.ru/p.jpg' }] } }),
    ).toEqual([{ kind: 'photo', url: 'https://i.oneme.ru/p.jpg' }]);
  });

  it('unknown shapes never throw', () => {
    expect(mediaOf('viber', { attachments: [null, 'x', { kind: 'hologram' }] })).toEqual([
      { kind: 'other' },
      { kind: 'other' },
      { kind: 'other' },
    ]);
    expect(mediaOf('email', null)).toEqual([]);
    expect(safeUrl('data:text/html,x')).toBeUndefined();
  });
});
