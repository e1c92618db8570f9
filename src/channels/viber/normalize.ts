import type { InboundCommunication, RawIdentity } from '../../core/communication.js';
import type { NormalizeResult } from '../../core/normalize.js';
import { attachment, type MessengerAttachment } from '../messenger/attachment.js';
import { firstIssue, skipped, storedUpdateSchema } from '../messenger/stored.js';
import { SHARE_PHONE_TRACKING, type ViberMessage, viberCallbackSchema } from './schema.js';

/**
 * A stored Viber callback -> communications. `message` is the client's (Viber never echoes a bot's own
 * messages; our replies are stored by the replier as `sent`). A shared contact that answers our
 * share-phone request (or carries the sender's own name) puts the phone FIRST among the sender's own
 * identities: the number is the person, so a caller we know becomes the same contact; any other shared
 * contact card is a hint. Everything else is acknowledged and kept out of the lead rules with a reason:
 * `conversation_started`, `subscribed`, `unsubscribed` (recorded on the event and in the audit trail),
 * `delivered`, `seen`, `failed`, `webhook`. Pure.
 */
export function normalizeViber(payload: unknown): NormalizeResult {
  const stored = storedUpdateSchema.safeParse(payload);
  if (!stored.success) return firstIssue(stored.error, '');
  const { account } = stored.data;
  const parsed = viberCallbackSchema.safeParse(stored.data.update);
  if (!parsed.success) return firstIssue(parsed.error, 'update');
  const e = parsed.data;
  const externalId = e.message_token ?? `${e.event}:${e.timestamp}`;
  const skip = (rule: string, reason: string) => skipped('viber', account, externalId, rule, reason);
  switch (e.event) {
    case 'message':
      break;
    case 'conversation_started':
      return skip(
        'viber_conversation_started',
        `the client opened the chat (${e.type ?? 'open'}${e.context ? `, context ${e.context}` : ''})`,
      );
    case 'subscribed':
      return skip('viber_subscribed', 'the client subscribed to the bot');
    case 'unsubscribed':
      return skip('viber_unsubscribed', 'the client unsubscribed: replies will fail until they write again');
    case 'delivered':
    case 'seen':
    case 'failed':
      return skip(`viber_${e.event}`, `delivery status "${e.event}" of our message`);
    case 'webhook':
      return skip('viber_webhook', 'Viber checked the webhook');
    default: {
      const _exhaustive: never = e;
      return { ok: false, error: `unknown Viber event ${String(_exhaustive)}` };
    }
  }

  const m = e.message;
  const own: RawIdentity[] = [{ kind: 'viber', account, value: e.sender.id }];
  const hints: RawIdentity[] = [];
  const phone = m.type === 'contact' ? m.contact?.phone_number?.trim() : undefined;
  if (phone) {
    const answersOurRequest = m.tracking_data === SHARE_PHONE_TRACKING;
    const sameName = !!m.contact?.name && m.contact.name === e.sender.name;
    if (answersOurRequest || sameName) own.unshift({ kind: 'phone', value: phone });
    else hints.push({ kind: 'phone', value: phone });
  }
  const attachments = viberAttachments(m);
  const comm: InboundCommunication = {
    kind: 'message',
    channel: 'viber',
    account,
    externalId: e.message_token,
    direction: stored.data.sentBy ? 'out' : 'in',
    occurredAt: new Date(e.timestamp),
    party: {
      ...(e.sender.name && !stored.data.sentBy ? { name: e.sender.name } : {}),
      identities: own,
      hints,
    },
    threadKey: `user:${e.sender.id}`,
    ...(m.text ? { text: m.text } : {}),
    meta: {
      viber: {
        type: m.type,
        ...(e.sender.country ? { country: e.sender.country } : {}),
        ...(e.sender.language ? { language: e.sender.language } : {}),
        ...(stored.data.sentBy ? { sentBy: stored.data.sentBy } : {}),
      },
      ...(attachments.length > 0 ? { attachments } : {}),
    },
  };
  return { ok: true, communications: [comm] };
}

/** Viber message -> attachment metadata (text and contact messages have none). */
export function viberAttachments(m: ViberMessage): MessengerAttachment[] {
  switch (m.type) {
    case 'text':
    case 'contact':
      return [];
    case 'picture':
      return [attachment({ kind: 'photo', url: m.media, size: m.size })];
    case 'video':
      return [attachment({ kind: 'video', url: m.media, size: m.size, durationSeconds: m.duration })];
    case 'file':
      return [attachment({ kind: 'file', url: m.media, name: m.file_name, size: m.size })];
    case 'sticker':
      return [attachment({ kind: 'sticker', url: m.media, ref: m.sticker_id?.toString() })];
    case 'url':
      return [attachment({ kind: 'link', url: m.media })];
    case 'location':
      return [
        attachment({ kind: 'location', ref: m.location ? `${m.location.lat},${m.location.lon}` : undefined }),
      ];
    default:
      return [attachment({ kind: m.type, url: m.media })];
  }
}
