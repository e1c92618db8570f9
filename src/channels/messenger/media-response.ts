import type { StoredMedia } from '../../db/repos/message-media.js';

// Shown inline: images, audio and video a browser plays without running anything. Everything else (SVG,
// HTML, PDF…) is a download, so a client's file can never run as a page of ours.
const INLINE = /^(image\/(jpeg|png|gif|webp)|audio\/(mpeg|ogg|mp4|aac|wav|webm)|video\/(mp4|webm))$/;

/** The copy as an HTTP response: its Content-Type; shown inline only for plain images/audio/video, else a download. */
export function mediaResponse(file: StoredMedia): Response {
  const inline = INLINE.test(file.contentType);
  const name = (file.name ?? 'file').replace(/[\r\n"\\]/g, '_');
  return new Response(new Uint8Array(file.content), {
    status: 200,
    headers: {
      'content-type': file.contentType,
      'content-length': String(file.content.length),
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(name)}`,
      'content-security-policy': "default-src 'none'; sandbox",
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=86400',
    },
  });
}
