/**
 * An attachment of a messenger message as it is kept in `messages.meta.attachments`: what it is and where
 * the provider serves it. The files (photos, documents, voice, video) are copied into `message_media` after the
 * decision (media.ts, media-downloads.ts), because the provider's links expire.
 */
export interface MessengerAttachment {
  /** photo, file, voice, video, sticker, link, location, contact, item, … (the provider's type when unknown). */
  kind: string;
  url?: string;
  name?: string;
  size?: number;
  durationSeconds?: number;
  /** Provider ids needed to fetch it later (Avito voice_id, VK owner_id_id). */
  ref?: string;
}

/** Drops undefined fields, so stored metadata reads cleanly. */
export function attachment(a: MessengerAttachment): MessengerAttachment {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as MessengerAttachment;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
export const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
