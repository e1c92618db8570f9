import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { readRawFile } from '../../channels/email/raw-files.js';
import type { Queryable as Sql } from '../../db/queryable.js';

export interface ContactMessage {
  id: string;
  channel: string;
  body: string | null;
  meta: Record<string, unknown> | null;
  inboundEventId: string | null;
}

/** A message of the contact (the lead page shows the contact's whole thread), or undefined. */
export async function contactMessage(
  sql: Sql,
  contactId: string,
  messageId: string,
): Promise<ContactMessage | undefined> {
  const [m] = await sql<ContactMessage[]>`
    SELECT id, channel, body, meta, inbound_event_id FROM messages WHERE id = ${messageId} AND contact_id = ${contactId}`;
  return m;
}

/**
 * The email as it arrived (or as we sent it), parsed again from the raw RFC 822 bytes the inbound store keeps
 * (the row's `raw`, or the file of a big message): older messages render the same way as new ones.
 */
export async function emailOriginal(
  sql: Sql,
  dataDir: string | undefined,
  m: ContactMessage,
): Promise<ParsedMail | undefined> {
  if (m.channel !== 'email' || !m.inboundEventId) return undefined;
  const [e] = await sql<
    { payload: { rawFile?: { path: string; sha256: string; size: number } } | null; raw: Uint8Array | null }[]
  >`
    SELECT payload, raw FROM inbound_events WHERE id = ${m.inboundEventId}`;
  if (!e) return undefined;
  let raw: Uint8Array | undefined = e.raw ?? undefined;
  if (!raw && e.payload?.rawFile && dataDir)
    raw = await readRawFile(dataDir, e.payload.rawFile).catch(() => undefined);
  if (!raw || raw.byteLength === 0) return undefined;
  const { simpleParser } = await import('mailparser');
  return simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { keepCidLinks: true }).catch(
    () => undefined,
  );
}

export interface MessageFile {
  content: Buffer;
  contentType: string;
  filename: string | null;
}

/** A file under the data directory, never outside it (the stored path comes from our own metadata, still). */
async function dataFile(dataDir: string | undefined, rel: unknown): Promise<Buffer | undefined> {
  if (!dataDir || typeof rel !== 'string' || rel === '') return undefined;
  const root = path.resolve(dataDir);
  const full = path.resolve(root, rel);
  if (!full.startsWith(root + path.sep)) return undefined;
  return readFile(full).catch(() => undefined);
}

/**
 * One attachment's content: an email attachment by its index in `meta.attachments` (the saved copy, else
 * re-read from the raw message), a WhatsApp message's downloaded media (index 0).
 */
export async function messageFile(
  sql: Sql,
  dataDir: string | undefined,
  m: ContactMessage,
  index: number,
): Promise<MessageFile | undefined> {
  if (m.channel === 'email') {
    const list = Array.isArray(m.meta?.attachments) ? (m.meta.attachments as Record<string, unknown>[]) : [];
    const a = list[index];
    if (!a) return undefined;
    const contentType = typeof a.contentType === 'string' ? a.contentType : 'application/octet-stream';
    const filename = typeof a.filename === 'string' ? a.filename : null;
    const saved = a.stored === true ? await dataFile(dataDir, a.path) : undefined;
    if (saved) return { content: saved, contentType, filename };
    const part = (await emailOriginal(sql, dataDir, m))?.attachments[index];
    return part ? { content: part.content, contentType, filename } : undefined;
  }
  if (m.channel === 'whatsapp' && index === 0) {
    const media = (m.meta?.media ?? {}) as Record<string, unknown>;
    const content = await dataFile(dataDir, media.path);
    if (!content) return undefined;
    return {
      content,
      contentType: typeof media.mimetype === 'string' ? media.mimetype : 'application/octet-stream',
      filename: typeof media.filename === 'string' ? media.filename : null,
    };
  }
  return undefined;
}
