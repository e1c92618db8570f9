import type { InboundCommunication, RawIdentity } from '../../core/communication.js';
import type { NormalizeResult } from '../../core/normalize.js';
import {
  contactPayloadSchema,
  type MaxMessage,
  type MaxUpdate,
  storedSchema,
  threadKeyOf,
} from './schema.js';
import { vcardPhones } from './vcard.js';

/**
 * A stored MAX payload -> communications. Pure. A user's `message_created` in a dialog is inbound, an edit
 * revises the stored message, other chats and bots' messages are skipped with a reason; `bot_started`,
 * `bot_stopped` and button presses are recorded as skipped (their effects are the transport's).
 */
export function normalizeMax(payload: unknown): NormalizeResult {
  const parsed = storedSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: issue?.message ?? 'not a MAX update', field: issue?.path.join('.') };
  }
  const s = parsed.data;
  if ('sent' in s) {
    const comm = fromMessage(s.account, s.sent, {
      direction: 'out',
      client: { userId: s.client.userId, chatId: s.client.chatId },
    });
    return { ok: true, communications: [comm] };
  }
  return normalizeUpdate(s.account, s.update);
}

function normalizeUpdate(account: string, u: MaxUpdate): NormalizeResult {
  const skip = (rule: string, reason: string, externalId: string): NormalizeResult => ({
    ok: true,
    communications: [],
    skipped: [{ channel: 'max', account, externalId, rule, reason }],
  });
  const key = `${u.update_type}:${u.chat_id ?? u.callback?.callback_id ?? u.message_id ?? ''}:${u.timestamp}`;
  switch (u.update_type) {
    case 'message_created':
    case 'message_edited': {
      const m = u.message!;
      if (m.recipient.chat_type !== 'dialog')
        return skip(
          'skip_group_chat',
          `a message in a ${m.recipient.chat_type} chat, not a dialog`,
          m.body.mid,
        );
      if (!m.sender) return skip('skip_no_sender', 'a message without a sender', m.body.mid);
      if (m.sender.is_bot) return skip('skip_bot_message', 'a message sent by a bot', m.body.mid);
      const comm = fromMessage(account, m, {
        direction: 'in',
        client: { userId: m.sender.user_id, chatId: m.recipient.chat_id ?? undefined },
        ...(u.update_type === 'message_edited' ? { editedAt: new Date(u.timestamp) } : {}),
      });
      return { ok: true, communications: [comm] };
    }
    case 'bot_started':
      return skip(
        'max_bot_started',
        u.payload
          ? 'the client started the bot from a link with a start payload'
          : 'the client started the bot',
        key,
      );
    case 'bot_stopped':
      return skip('max_blocked', 'the client stopped the bot', key);
    case 'message_callback':
      return skip('max_callback', 'a button press (acknowledged)', key);
    case 'message_removed':
      return skip('max_message_removed', 'a message was deleted in MAX (kept here)', key);
    default:
      return skip(
        'skip_unsupported_update',
        `an update kind Switchboard does not take in (${u.update_type})`,
        key,
      );
  }
}

function fromMessage(
  account: string,
  m: MaxMessage,
  o: {
    direction: 'in' | 'out';
    client: { userId?: string | undefined; chatId?: string | undefined };
    editedAt?: Date;
  },
): InboundCommunication {
  const person = o.direction === 'in' ? m.sender : undefined;
  const name = [person?.first_name, person?.last_name].filter(Boolean).join(' ') || person?.name || undefined;
  const identities: RawIdentity[] = o.client.userId ? [{ kind: 'max', account, value: o.client.userId }] : [];
  const hints: RawIdentity[] = [];
  const attachments: Record<string, unknown>[] = [];
  let location: { latitude: number; longitude: number } | undefined;
  let sharedContact: 'own' | 'other' | undefined;
  for (const a of m.body.attachments ?? []) {
    if (a.type === 'location' && a.latitude !== undefined && a.longitude !== undefined) {
      location = { latitude: a.latitude, longitude: a.longitude };
    } else if (a.type === 'contact') {
      const c = contactPayloadSchema.safeParse(a.payload);
      if (!c.success) continue;
      const phones = vcardPhones(c.data.vcf_info ?? '');
      // The request_contact button shares the sender's own card (max_info.user_id == sender); a card of
      // someone else is only a hint.
      const own = o.direction === 'in' && !!c.data.max_info && c.data.max_info.user_id === o.client.userId;
      sharedContact = own ? 'own' : 'other';
      for (const p of phones) (own ? identities : hints).push({ kind: 'phone', value: p });
    } else if (a.type !== 'inline_keyboard') {
      const p = (a.payload ?? {}) as { url?: unknown; token?: unknown; photo_id?: unknown };
      attachments.push({
        type: a.type,
        ...(typeof p.url === 'string' ? { url: p.url } : {}),
        ...(typeof p.token === 'string' ? { token: p.token } : {}),
        ...(a.filename ? { name: a.filename } : {}),
        ...(a.size !== undefined ? { size: a.size } : {}),
      });
    }
  }
  const chatId = o.client.chatId ?? m.recipient.chat_id ?? undefined;
  return {
    kind: 'message',
    channel: 'max',
    account,
    externalId: m.body.mid,
    direction: o.direction,
    occurredAt: new Date(m.timestamp),
    party: { ...(name ? { name } : {}), identities, hints },
    ...(chatId ? { threadKey: threadKeyOf(chatId) } : {}),
    ...(m.body.text ? { text: m.body.text } : {}),
    meta: {
      max: {
        mid: m.body.mid,
        ...(chatId ? { chatId } : {}),
        ...(o.client.userId ? { userId: o.client.userId } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...(location ? { location } : {}),
        ...(sharedContact ? { sharedContact } : {}),
      },
    },
    ...(o.editedAt ? { revision: { editedAt: o.editedAt } } : {}),
  };
}
