import type { Direction, InboundCommunication, RawIdentity } from '../../core/communication.js';
import type { NormalizeResult } from '../../core/normalize.js';
import { firstIssue, skipped, storedUpdateSchema } from '../messenger/stored.js';
import { vkAttachments } from './attachments.js';
import {
  type VkEnrichment,
  type VkMessage,
  vkEventSchema,
  vkMessageNewObjectSchema,
  vkMessageSchema,
  vkUserSchema,
} from './schema.js';

/** Peers from 2e9 up are group chats (chat id = peer_id - 2e9). */
const CHAT_PEER_BASE = 2_000_000_000;

/**
 * A stored VK delivery (Callback API or Long Poll, same envelope) -> communications. `message_new` is the
 * client's message; `message_reply` (and anything with `out: 1`) is ours: outbound, never a lead. Both
 * share the key `peer_id_conversation_message_id`, so a redelivered event, the same message seen over Long
 * Poll, or the echo of a reply we recorded ourselves is a duplicate. Other events are skipped with a reason.
 * Pure: the profile (name, city, public phone) comes from the stored enrichment.
 */
export function normalizeVk(payload: unknown): NormalizeResult {
  const stored = storedUpdateSchema.safeParse(payload);
  if (!stored.success) return firstIssue(stored.error, '');
  const { account } = stored.data;
  const event = vkEventSchema.safeParse(stored.data.update);
  if (!event.success) return firstIssue(event.error, 'update');
  const e = event.data;
  const skip = (rule: string, reason: string, externalId = e.event_id ?? e.type) =>
    skipped('vk', account, externalId, rule, reason);

  let message: VkMessage;
  let direction: Direction;
  switch (e.type) {
    case 'message_new': {
      const parsed = vkMessageNewObjectSchema.safeParse(e.object);
      if (!parsed.success) return firstIssue(parsed.error, 'update.object');
      message = parsed.data.message;
      direction = message.out === 1 ? 'out' : 'in';
      break;
    }
    case 'message_reply': {
      const parsed = vkMessageSchema.safeParse(e.object);
      if (!parsed.success) return firstIssue(parsed.error, 'update.object');
      message = parsed.data;
      direction = 'out';
      break;
    }
    default:
      return skip('vk_not_a_message', `VK event "${e.type}" is acknowledged, not a message`);
  }

  const externalId = `${message.peer_id}_${message.conversation_message_id}`;
  const client = direction === 'in' ? message.from_id : message.peer_id;
  if (client <= 0)
    return skip('vk_from_community', 'a message from another community, not a person', externalId);
  if (client >= CHAT_PEER_BASE)
    return skip('vk_outbound_to_chat', 'our message in a group chat names no single client', externalId);

  const enrichment = (stored.data.enrichment ?? {}) as VkEnrichment;
  const user = direction === 'in' ? vkUserSchema.safeParse(enrichment.user).data : undefined;
  const profile = user?.id === client ? user : undefined;
  const name = profile ? `${profile.first_name} ${profile.last_name}`.trim() : '';
  const identities: RawIdentity[] = [{ kind: 'vk', account, value: String(client) }];
  // A public mobile phone from the profile: often empty or free text; the identity policy rejects junk.
  if (profile?.mobile_phone?.trim()) identities.push({ kind: 'phone', value: profile.mobile_phone });
  const attachments = vkAttachments(message.attachments);
  const comm: InboundCommunication = {
    kind: 'message',
    channel: 'vk',
    account,
    externalId,
    direction,
    occurredAt: new Date(message.date * 1000),
    party: { ...(name ? { name } : {}), identities, hints: [] },
    threadKey: `peer:${message.peer_id}`,
    ...(message.text ? { text: message.text } : {}),
    ...(profile?.city?.title ? { signals: { city: profile.city.title } } : {}),
    meta: {
      vk: {
        messageId: message.id,
        ...(e.event_id ? { eventId: e.event_id } : {}),
        ...(message.ref ? { ref: message.ref } : {}),
        ...(message.ref_source ? { refSource: message.ref_source } : {}),
        ...(stored.data.sentBy ? { sentBy: stored.data.sentBy } : {}),
      },
      ...(attachments.length > 0 ? { attachments } : {}),
    },
  };
  return { ok: true, communications: [comm] };
}
