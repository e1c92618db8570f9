import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredMedia } from './schema.js';

/**
 * Saves a message's media under `<dataDir>/whatsapp/<account>/media/` (named by the content's hash, so a
 * redelivery writes the same file) and returns its metadata with the path relative to the data directory.
 */
export async function saveMedia(
  dataDir: string,
  account: string,
  bytes: Uint8Array,
  info: { mimetype?: string; filename?: string },
): Promise<StoredMedia> {
  const hash = createHash('sha256').update(bytes).digest('hex');
  const ext = extensionOf(info);
  const relative = path.join('whatsapp', account, 'media', `${hash}${ext}`);
  await mkdir(path.join(dataDir, path.dirname(relative)), { recursive: true });
  await writeFile(path.join(dataDir, relative), bytes);
  return {
    ...(info.mimetype ? { mimetype: info.mimetype } : {}),
    ...(info.filename ? { filename: info.filename } : {}),
    size: bytes.byteLength,
    path: relative,
  };
}

function extensionOf(info: { mimetype?: string; filename?: string }): string {
  const fromName = info.filename ? path.extname(info.filename) : '';
  if (/^\.[a-z0-9]{1,8}$/i.test(fromName)) return fromName.toLowerCase();
  const sub = info.mimetype?.split(';')[0]?.split('/')[1];
  return sub && /^[a-z0-9.+-]{1,16}$/i.test(sub) ? `.${sub.replace(/[^a-z0-9]/gi, '')}` : '';
}
