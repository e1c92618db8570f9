/**
 * What a message carries besides its text, in one shape for the thread, whatever the channel stored:
 * email `meta.attachments` (src/channels/email/attachments.ts), WhatsApp `meta.media` (a file in the data
 * directory), Telegram `meta.attachments` (provider file ids only), MAX `{ type, url }` and VK/Viber/Avito
 * `MessengerAttachment` (`{ kind, url }`). Pure; unknown shapes become a neutral «Вложение», never an error.
 */
export type MediaKind =
  | 'photo'
  | 'document'
  | 'voice'
  | 'audio'
  | 'video'
  | 'sticker'
  | 'link'
  | 'location'
  | 'item'
  | 'call'
  | 'other';

export interface MediaItem {
  kind: MediaKind;
  name?: string;
  size?: number;
  durationSeconds?: number;
  /** A provider's http(s) link to the content (VK, Viber, Avito, MAX photos and voice). */
  url?: string;
  /** Our stored copy of a messenger attachment (`/media/{id}`): preferred to the provider's link. */
  href?: string;
  /** Why our copy is not there (yet): pending, expired, too_large, failed. */
  copyStatus?: string;
  /** The index to ask the app for (`/leads/{lead}/messages/{id}/files/{index}`): content the app can serve. */
  file?: number;
  contentType?: string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** Only http(s) links leave the app: a `javascript:` or `data:` URL from a payload is dropped. */
export function safeUrl(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

const KIND_BY_TYPE: Record<string, MediaKind> = {
  photo: 'photo',
  image: 'photo',
  picture: 'photo',
  file: 'document',
  document: 'document',
  doc: 'document',
  voice: 'voice',
  ptt: 'voice',
  audio_message: 'voice',
  audio: 'audio',
  video: 'video',
  video_note: 'video',
  sticker: 'sticker',
  link: 'link',
  share: 'link',
  wall: 'link',
  location: 'location',
  item: 'item',
  call: 'call',
};

function kindOfType(type: string | undefined, contentType?: string): MediaKind {
  const k = type ? KIND_BY_TYPE[type.toLowerCase()] : undefined;
  if (k && k !== 'document') return k;
  if (contentType?.startsWith('image/')) return 'photo';
  if (contentType?.startsWith('audio/')) return 'audio';
  if (contentType?.startsWith('video/')) return 'video';
  return k ?? (contentType ? 'document' : 'other');
}

function emailItems(meta: Rec): MediaItem[] {
  const list = Array.isArray(meta.attachments) ? meta.attachments : [];
  // Indices are the stored list's (the file route looks the same list up); inline parts show in the HTML.
  return list.flatMap((raw, i): MediaItem[] => {
    const a = rec(raw);
    if (a.inline === true) return [];
    const contentType = str(a.contentType) ?? 'application/octet-stream';
    const kind = kindOfType(undefined, contentType);
    return [
      {
        kind: kind === 'other' ? 'document' : kind,
        ...(str(a.filename) ? { name: str(a.filename)! } : {}),
        ...(num(a.size) !== undefined ? { size: num(a.size)! } : {}),
        contentType,
        // Every email attachment can be served: from the data directory, or re-read from the raw message.
        file: i,
      },
    ];
  });
}

function whatsappItems(meta: Rec): MediaItem[] {
  const m = rec(meta.media);
  if (!str(m.type)) return [];
  const contentType = str(m.mimetype);
  return [
    {
      kind: kindOfType(str(m.type), contentType),
      ...(str(m.filename) ? { name: str(m.filename)! } : {}),
      ...(num(m.size) !== undefined ? { size: num(m.size)! } : {}),
      ...(contentType ? { contentType } : {}),
      ...(str(m.path) ? { file: 0 } : {}),
    },
  ];
}

function messengerItems(channel: string, meta: Rec): MediaItem[] {
  // VK, Viber and Avito keep them at the top; Telegram and MAX under their own key.
  const list = [meta.attachments, rec(meta[channel]).attachments].find(Array.isArray) ?? [];
  return list.map((raw): MediaItem => {
    const a = rec(raw);
    const contentType = str(a.mimeType) ?? str(a.mimetype);
    const url = safeUrl(a.url);
    const name = str(a.name) ?? str(a.filename) ?? str(a.title);
    const size = num(a.size);
    const duration = num(a.durationSeconds) ?? num(a.duration);
    return {
      kind: kindOfType(str(a.kind) ?? str(a.type), contentType),
      ...(name ? { name } : {}),
      ...(size !== undefined ? { size } : {}),
      ...(duration !== undefined ? { durationSeconds: duration } : {}),
      ...(url ? { url } : {}),
      ...(contentType ? { contentType } : {}),
    };
  });
}

/**
 * The media of one stored message, for the thread. `copies` are our copies of a messenger message's
 * attachments (message_media, by the attachment's position): a stored copy is served by the app instead of
 * the provider's link, which expires.
 */
export function mediaOf(
  channel: string,
  meta: Record<string, unknown> | null,
  copies: readonly { position: number; status: string; href: string | null }[] = [],
): MediaItem[] {
  if (!meta) return [];
  if (channel === 'email') return emailItems(meta);
  if (channel === 'whatsapp') return whatsappItems(meta);
  return messengerItems(channel, meta).map((item, i) => {
    const copy = copies.find((c) => c.position === i);
    if (!copy) return item;
    return copy.href ? { ...item, href: copy.href } : { ...item, copyStatus: copy.status };
  });
}
