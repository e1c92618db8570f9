import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What a message keeps about one attachment. `path` is relative to the data directory. */
export interface AttachmentMeta {
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
  stored: boolean;
  path?: string;
  /** Why the content was not saved (over the size cap, no data directory). */
  note?: string;
  /** Shown inside the HTML (a logo in a signature), not attached by the sender as a file. */
  inline?: boolean;
}

export interface AttachmentStore {
  save(
    content: Buffer,
    meta: { filename?: string | undefined; contentType: string },
  ): Promise<AttachmentMeta>;
}

/**
 * Saves attachment content under `<dataDir>/attachments/ab/<sha256>`, up to `maxBytes`. Content-addressed
 * and idempotent: re-normalizing a message after a crash or a bug fix writes nothing new.
 */
export function createAttachmentStore(opts: { dataDir?: string; maxBytes: number }): AttachmentStore {
  return {
    async save(content, info) {
      const sha256 = createHash('sha256').update(content).digest('hex');
      const base = {
        filename: info.filename ?? null,
        contentType: info.contentType,
        size: content.length,
        sha256,
      };
      if (!opts.dataDir) return { ...base, stored: false, note: 'no data directory configured' };
      if (content.length > opts.maxBytes)
        return { ...base, stored: false, note: `over the ${opts.maxBytes}-byte attachment cap` };
      const rel = path.join('attachments', sha256.slice(0, 2), sha256);
      const file = path.join(opts.dataDir, rel);
      const existing = await stat(file).catch(() => undefined);
      if (existing?.size !== content.length) {
        await mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.${randomUUID()}.tmp`;
        await writeFile(tmp, content);
        await rename(tmp, file);
      }
      return { ...base, stored: true, path: rel };
    },
  };
}
