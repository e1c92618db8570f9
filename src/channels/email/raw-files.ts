import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

/** A raw message kept as a file under the data directory instead of in the database row. */
export interface RawFileRef {
  /** Relative to the data directory. */
  path: string;
  sha256: string;
  size: number;
}

/**
 * Writes the raw message durably (fsync before rename) under `<dataDir>/raw/ab/<sha256>.eml`. Used for
 * big messages on the embedded database, whose socket bridge copies its input buffer quadratically: a 27 MB
 * row takes half a minute to insert and blocks the process meanwhile (see docs/email.md).
 */
export async function writeRawFile(dataDir: string, raw: Uint8Array): Promise<RawFileRef> {
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const rel = path.join('raw', sha256.slice(0, 2), `${sha256}.eml`);
  const file = path.join(dataDir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(raw);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  return { path: rel, sha256, size: raw.byteLength };
}

export async function readRawFile(dataDir: string, ref: RawFileRef): Promise<Buffer> {
  const buf = await readFile(path.join(dataDir, ref.path));
  const sha256 = createHash('sha256').update(buf).digest('hex');
  if (sha256 !== ref.sha256) throw new Error(`raw file ${ref.path} does not match its checksum`);
  return buf;
}
