import type { InboundCommunication, RawIdentity } from '../../core/communication.js';
import type { NormalizeResult, SkippedCommunication } from '../../core/normalize.js';
import { type ChatId, parseChatId, skipReason, vcardNames, vcardPhones } from './chat-id.js';
import {
  type GreenMessageNotification,
  isGreenMessage,
  type StoredMedia,
  type WhatsappPayload,
  whatsappPayloadSchema,
} from './schema.js';

/** whatsapp-web.js message types that are not a person's message (system notices, deletions, calls). */
const SYSTEM_TYPES = new Set([
  'revoked',
  'e2e_notification',
  'notification',
  'notification_template',
  'gp2',
  'call_log',
  'protocol',
  'ciphertext',
  'reaction',
  'broadcast_notification',
]);
const MEDIA_TYPES = new Set(['image', 'video', 'document', 'ptt', 'audio', 'sticker']);

/** Green-API message types carrying a file (fileMessageData). */
const GREEN_MEDIA = new Map([
  ['imageMessage', 'image'],
  ['videoMessage', 'video'],
  ['documentMessage', 'document'],
  ['audioMessage', 'audio'],
  ['stickerMessage', 'sticker'],
]);

/**
 * A stored WhatsApp payload (either transport) -> communications. Pure: the web transport stored everything
 * it looked up (contact, lid/phone pair, media) with the message. The client's phone (`…@c.us`, or the phone
 * a `@lid` resolved to) is a phone identity first, the `@lid` id a WhatsApp identity scoped to the account, so
 * a lid bound once to a phone never makes a second contact.
 */
export function normalizeWhatsapp(payload: unknown): NormalizeResult {
  const parsed = whatsappPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      error: `not a WhatsApp payload: ${issue?.message ?? 'invalid'}`,
      ...(issue ? { field: issue.path.join('.') } : {}),
    };
  }
  const p = parsed.data;
  switch (p.transport) {
    case 'web':
      return normalizeWeb(p);
    case 'gateway':
      return normalizeGateway(p);
    default: {
      const _exhaustive: never = p;
      return _exhaustive;
    }
  }
}

type WebPayload = Extract<WhatsappPayload, { transport: 'web' }>;
type GatewayPayload = Extract<WhatsappPayload, { transport: 'gateway' }>;

function skipped(account: string, externalId: string, rule: string, reason: string): NormalizeResult {
  const s: SkippedCommunication = { channel: 'whatsapp', account, externalId, rule, reason };
  return { ok: true, communications: [], skipped: [s] };
}

/** The client's own identities: the phone first, then the lid (scoped to the account). */
function identitiesOf(
  account: string,
  chat: ChatId,
  resolved?: { lid?: string; pn?: string },
): RawIdentity[] {
  const pnChat = resolved?.pn ? parseChatId(resolved.pn) : undefined;
  const lidChat = resolved?.lid ? parseChatId(resolved.lid) : undefined;
  const phone = chat.kind === 'phone' ? chat.phone : pnChat?.kind === 'phone' ? pnChat.phone : undefined;
  const lid = chat.kind === 'lid' ? chat.id : lidChat?.kind === 'lid' ? lidChat.id : undefined;
  return [
    ...(phone ? [{ kind: 'phone' as const, value: phone }] : []),
    ...(lid ? [{ kind: 'whatsapp' as const, account, value: lid }] : []),
  ];
}

function mediaMeta(type: string, media: StoredMedia | undefined, extra: Record<string, unknown> = {}) {
  return { media: { type, ...extra, ...(media ?? {}) } };
}

function normalizeWeb(p: WebPayload): NormalizeResult {
  const m = p.message;
  const externalId = m.id._serialized;
  // id.remote is the chat on both sides: the sender of an incoming message, the recipient of our own.
  const chat = parseChatId(m.id.remote);
  if (m.isStatus) return skipped(p.account, externalId, 'skip_status_broadcast', 'a status update');
  const skip = skipReason(chat) ?? (m.author ? skipReason(parseChatId(m.from)) : undefined);
  if (skip) return skipped(p.account, externalId, skip.rule, skip.reason);
  if (SYSTEM_TYPES.has(m.type))
    return skipped(p.account, externalId, 'skip_system_message', `a "${m.type}" notice, not a message`);

  const identities = identitiesOf(p.account, chat, p.ids);
  if (identities.length === 0)
    return skipped(p.account, externalId, 'skip_unknown_chat', 'no phone or lid for the chat');

  const name = p.contact?.pushname || p.contact?.name || undefined;
  const vcards = m.type === 'vcard' || m.type === 'multi_vcard' ? m.vCards : [];
  let text: string | undefined = m.body || undefined;
  let meta: Record<string, unknown> = { type: m.type };
  if (MEDIA_TYPES.has(m.type)) meta = { ...meta, ...mediaMeta(m.type, p.media) };
  else if (m.type === 'location' && m.location) {
    const { latitude, longitude, name: place, address } = m.location;
    meta = { ...meta, location: { latitude: Number(latitude), longitude: Number(longitude) } };
    text = [place, address].filter(Boolean).join(', ') || `📍 ${latitude}, ${longitude}`;
  } else if (vcards.length > 0) {
    meta = { ...meta, sharedContacts: vcards.length };
    text = `Контакт: ${vcardNames(vcards).join(', ') || 'без имени'}`;
  }
  if (m.isForwarded) meta.forwarded = true;

  const comm: InboundCommunication = {
    kind: 'message',
    channel: 'whatsapp',
    account: p.account,
    externalId,
    direction: m.fromMe ? 'out' : 'in',
    occurredAt: new Date(m.timestamp * 1000),
    party: {
      ...(name ? { name } : {}),
      identities,
      hints: vcardPhones(vcards).map((value) => ({ kind: 'phone' as const, value })),
    },
    threadKey: threadKeyOf(m.id.remote),
    ...(text ? { text } : {}),
    meta,
  };
  return { ok: true, communications: [comm] };
}

/** Green-API: `idMessage` is unique per chat only. */
export const greenExternalId = (chatId: string, idMessage: string) => `${chatId}_${idMessage}`;

function normalizeGateway(p: GatewayPayload): NormalizeResult {
  const n = p.notification;
  if (!isGreenMessage(n)) {
    const id = 'idMessage' in n && typeof n.idMessage === 'string' ? n.idMessage : String(n.timestamp);
    return skipped(
      p.account,
      `${n.typeWebhook}:${id}`,
      'skip_gateway_notification',
      `a "${n.typeWebhook}" notification (recorded, not a message)`,
    );
  }
  return normalizeGreenMessage(p.account, n, p.media);
}

function normalizeGreenMessage(
  account: string,
  n: GreenMessageNotification,
  media: StoredMedia | undefined,
): NormalizeResult {
  const chatId = n.senderData.chatId;
  const externalId = greenExternalId(chatId, n.idMessage);
  const chat = parseChatId(chatId);
  const skip = skipReason(chat);
  if (skip) return skipped(account, externalId, skip.rule, skip.reason);
  const outbound = n.typeWebhook !== 'incomingMessageReceived';
  const identities = identitiesOf(account, chat);

  const d = n.messageData;
  let text: string | undefined;
  let meta: Record<string, unknown> = { type: d.typeMessage };
  let hints: RawIdentity[] = [];
  const mediaType = GREEN_MEDIA.get(d.typeMessage);
  if (d.textMessageData) text = d.textMessageData.textMessage;
  else if (d.extendedTextMessageData) text = d.extendedTextMessageData.text;
  else if (mediaType) {
    const f = d.fileMessageData;
    text = f?.caption || undefined;
    meta = {
      ...meta,
      ...mediaMeta(mediaType, media, {
        ...(f?.mimeType ? { mimetype: f.mimeType } : {}),
        ...(f?.fileName ? { filename: f.fileName } : {}),
      }),
    };
  } else if (d.locationMessageData) {
    const l = d.locationMessageData;
    meta = { ...meta, location: { latitude: l.latitude, longitude: l.longitude } };
    text = [l.nameLocation, l.address].filter(Boolean).join(', ') || `📍 ${l.latitude}, ${l.longitude}`;
  } else if (d.contactMessageData) {
    const c = d.contactMessageData;
    hints = vcardPhones([c.vcard]).map((value) => ({ kind: 'phone' as const, value }));
    meta = { ...meta, sharedContacts: 1 };
    text = `Контакт: ${c.displayName || vcardNames([c.vcard]).join(', ') || 'без имени'}`;
  }
  const name = outbound ? n.senderData.chatName : n.senderData.senderName || n.senderData.chatName;

  const comm: InboundCommunication = {
    kind: 'message',
    channel: 'whatsapp',
    account,
    externalId,
    direction: outbound ? 'out' : 'in',
    occurredAt: new Date(n.timestamp * 1000),
    party: { ...(name ? { name } : {}), identities, hints },
    threadKey: threadKeyOf(chatId),
    ...(text ? { text } : {}),
    meta,
  };
  return { ok: true, communications: [comm] };
}

/** A conversation's thread is its chat; a reply goes back to this chat id. */
export const threadKeyOf = (chatId: string) => `chat:${chatId}`;
export const chatIdOfThread = (threadKey: string) =>
  threadKey.startsWith('chat:') ? threadKey.slice('chat:'.length) : undefined;
