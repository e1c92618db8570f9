import { createHash } from 'node:crypto';

/**
 * Cheap header access on raw RFC 822 bytes, without a MIME parser: the IMAP worker needs the Message-ID
 * before it stores a message, and normalize must derive exactly the same id later.
 */
export function headerBlock(raw: Uint8Array): string {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let end = buf.indexOf('\r\n\r\n');
  if (end < 0) end = buf.indexOf('\n\n');
  // latin1 keeps every byte as one char: header names and Message-IDs are ASCII.
  return buf.subarray(0, end < 0 ? Math.min(buf.length, 64 * 1024) : end).toString('latin1');
}

/** Unfolded values of every header `name` (case-insensitive), in order. */
export function headerValues(block: string, name: string): string[] {
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  const out: string[] = [];
  const wanted = name.toLowerCase();
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted)
      out.push(line.slice(colon + 1).trim());
  }
  return out;
}

const MSG_ID = /<[^<>\s]{1,400}>/;

/**
 * The message's external id: its Message-ID with angle brackets, as written (`<id@host>`); mail without one
 * gets `sha256:<hex>` of its bytes, so the same message fetched twice still dedups.
 */
export function emailExternalId(raw: Uint8Array): string {
  const value = headerValues(headerBlock(raw), 'message-id')[0];
  const id = value ? MSG_ID.exec(value)?.[0] : undefined;
  return id ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** Message ids found in a References / In-Reply-To value, in order. */
export function messageIds(value: string | string[] | undefined): string[] {
  if (!value) return [];
  const text = Array.isArray(value) ? value.join(' ') : value;
  return [...text.matchAll(/<[^<>\s]{1,400}>/g)].map((m) => m[0]);
}

/**
 * The thread a message belongs to: the root of References (the first id), else In-Reply-To, else the
 * message itself. Replies of both sides carry the root, so they join one conversation.
 */
export function threadKeyOf(externalId: string, references: string[], inReplyTo: string[]): string {
  return references[0] ?? inReplyTo[0] ?? externalId;
}
