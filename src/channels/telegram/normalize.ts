import type { InboundCommunication, RawIdentity } from '../../core/communication.js';
import type { NormalizeResult, SkippedCommunication } from '../../core/normalize.js';
import {
  messageKey,
  storedSchema,
  type TelegramMessage,
  type TelegramUpdate,
  threadKeyOf,
} from './schema.js';

const seconds = (s: number) => new Date(s * 1000);

/**
 * A stored Telegram payload -> communications. Pure. Private chats are conversations with clients; groups
 * and channels are skipped with a reason; an edit revises the stored message; business messages typed by
 * the account owner in Telegram itself are outbound. Blocks, callbacks and business connection changes are
 * recorded as skipped (their effects are the transport's).
 */
export function normalizeTelegram(payload: unknown): NormalizeResult {
  const parsed = storedSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: issue?.message ?? 'not a Telegram update', field: issue?.path.join('.') };
  }
  const stored = parsed.data;
  if ('sent' in stored) return { ok: true, communications: [sentMessage(stored.account, stored.sent)] };
  return normalizeUpdate(stored.account, stored.update);
}

function normalizeUpdate(account: string, u: TelegramUpdate): NormalizeResult {
  const skip = (rule: string, reason: string, externalId = `update:${u.update_id}`): NormalizeResult => ({
    ok: true,
    communications: [],
    skipped: [{ channel: 'telegram', account, externalId, rule, reason }],
  });
  const message = u.message ?? u.edited_message;
  if (message) return fromMessage(account, message, { edited: !!u.edited_message, business: false });
  const business = u.business_message ?? u.edited_business_message;
  if (business)
    return fromMessage(account, business, { edited: !!u.edited_business_message, business: true });
  if (u.my_chat_member) {
    const status = u.my_chat_member.new_chat_member.status;
    if (u.my_chat_member.chat.type !== 'private')
      return skip('skip_group_membership', `the bot's membership in a ${u.my_chat_member.chat.type} changed`);
    if (status === 'kicked') return skip('telegram_blocked', 'the client blocked the bot');
    return skip('telegram_unblocked', `the client restarted the bot (status ${status})`);
  }
  if (u.callback_query) return skip('telegram_callback', 'a button press (acknowledged)');
  if (u.business_connection)
    return skip(
      'telegram_business_connection',
      u.business_connection.is_enabled
        ? 'a business account connected the bot'
        : 'a business account disconnected the bot',
    );
  if (u.deleted_business_messages)
    return skip('telegram_business_deleted', 'messages were deleted in a business chat (kept here)');
  return skip('skip_unsupported_update', 'an update kind Switchboard does not take in');
}

function fromMessage(
  account: string,
  m: TelegramMessage,
  opts: { edited: boolean; business: boolean },
): NormalizeResult {
  const externalId = messageKey(m);
  const skipped = (rule: string, reason: string): NormalizeResult => ({
    ok: true,
    communications: [],
    skipped: [{ channel: 'telegram', account, externalId, rule, reason } satisfies SkippedCommunication],
  });
  if (m.chat.type !== 'private')
    return skipped('skip_group_chat', `a message in a ${m.chat.type} chat, not a private conversation`);
  if (!m.from) return skipped('skip_no_sender', 'a message without a sender');
  // In a private chat the client is the chat itself: anyone else writing there is the business account
  // (its owner or staff in the Telegram app, or a bot acting for it).
  const fromClient = m.from.id === m.chat.id && !m.from.is_bot;
  if (!fromClient && !opts.business) return skipped('skip_bot_message', 'a message sent by a bot');
  const comm: InboundCommunication = {
    kind: 'message',
    channel: 'telegram',
    account,
    externalId,
    direction: fromClient ? 'in' : 'out',
    occurredAt: seconds(m.date),
    party: clientParty(account, m, fromClient),
    threadKey: threadKeyOf(m),
    ...textOf(m),
    meta: { telegram: metaOf(m) },
    ...(opts.edited && m.edit_date ? { revision: { editedAt: seconds(m.edit_date) } } : {}),
  };
  return { ok: true, communications: [comm] };
}

/** A message our replier sent (the Bot API's answer): outbound to the chat's client. */
function sentMessage(account: string, m: TelegramMessage): InboundCommunication {
  return {
    kind: 'message',
    channel: 'telegram',
    account,
    externalId: messageKey(m),
    direction: 'out',
    occurredAt: seconds(m.date),
    party: clientParty(account, m, false),
    threadKey: threadKeyOf(m),
    ...textOf(m),
    meta: { telegram: metaOf(m) },
  };
}

function clientParty(account: string, m: TelegramMessage, fromClient: boolean) {
  const name = [m.chat.first_name, m.chat.last_name].filter(Boolean).join(' ');
  const identities: RawIdentity[] = [{ kind: 'telegram', account, value: String(m.chat.id) }];
  const hints: RawIdentity[] = [];
  if (m.contact && fromClient) {
    // The request_contact button shares the sender's own number (user_id == sender); a contact card of
    // someone else is only a hint.
    if (m.contact.user_id === m.from?.id) identities.push({ kind: 'phone', value: m.contact.phone_number });
    else hints.push({ kind: 'phone', value: m.contact.phone_number });
  }
  return { ...(name ? { name } : {}), identities, hints };
}

function textOf(m: TelegramMessage): { text?: string } {
  const text = m.text ?? m.caption;
  return text !== undefined ? { text } : {};
}

/** Non-identifying details: what was attached (file ids to fetch later), a location, a business chat. */
function metaOf(m: TelegramMessage): Record<string, unknown> {
  const attachments: Record<string, unknown>[] = [];
  const largest = m.photo?.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  if (largest)
    attachments.push({
      type: 'photo',
      fileId: largest.file_id,
      size: largest.file_size ?? null,
      width: largest.width,
      height: largest.height,
    });
  if (m.document)
    attachments.push({
      type: 'document',
      fileId: m.document.file_id,
      name: m.document.file_name ?? null,
      mimeType: m.document.mime_type ?? null,
      size: m.document.file_size ?? null,
    });
  if (m.voice)
    attachments.push({
      type: 'voice',
      fileId: m.voice.file_id,
      duration: m.voice.duration,
      mimeType: m.voice.mime_type ?? null,
      size: m.voice.file_size ?? null,
    });
  return {
    messageId: m.message_id,
    chatId: m.chat.id,
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(m.location ? { location: { latitude: m.location.latitude, longitude: m.location.longitude } } : {}),
    ...(m.contact ? { sharedContact: m.contact.user_id === m.from?.id ? 'own' : 'other' } : {}),
    ...(m.media_group_id ? { mediaGroupId: m.media_group_id } : {}),
    ...(m.business_connection_id ? { businessConnectionId: m.business_connection_id } : {}),
    ...(m.is_from_offline ? { automatic: true } : {}),
  };
}
