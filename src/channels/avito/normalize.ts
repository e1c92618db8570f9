import type { InboundCommunication, RoutingSignals } from '../../core/communication.js';
import type { NormalizeResult } from '../../core/normalize.js';
import { attachment, type MessengerAttachment, num, obj, str } from '../messenger/attachment.js';
import { firstIssue, skipped, storedUpdateSchema } from '../messenger/stored.js';
import {
  type AvitoEnrichment,
  type AvitoMessage,
  avitoChatSchema,
  avitoMessageSchema,
  avitoWebhookSchema,
} from './schema.js';

/**
 * A stored Avito Messenger webhook -> communications. The buyer's message is inbound; ours (author_id is
 * our user id: sent from the Avito app or echoed after an API send) is outbound; `system` and `deleted`
 * messages are skipped with a reason. The identity is the buyer's Avito user id scoped to the account (the
 * API never gives the buyer's phone); the name and the listing come from the stored chat info, the
 * listing's address feeds the city signal, its title becomes the subject. Pure.
 */
export function normalizeAvito(payload: unknown): NormalizeResult {
  const stored = storedUpdateSchema.safeParse(payload);
  if (!stored.success) return firstIssue(stored.error, '');
  const { account } = stored.data;
  const hook = avitoWebhookSchema.safeParse(stored.data.update);
  if (!hook.success) return firstIssue(hook.error, 'update');
  const skip = (rule: string, reason: string, externalId: string) =>
    skipped('avito', account, externalId, rule, reason);
  if (hook.data.payload.type !== 'message')
    return skip(
      'avito_not_a_message',
      `Avito webhook "${hook.data.payload.type}" is not a message`,
      hook.data.id,
    );
  const parsed = avitoMessageSchema.safeParse(hook.data.payload.value);
  if (!parsed.success) return firstIssue(parsed.error, 'update.payload.value');
  const m = parsed.data;
  if (m.type === 'system')
    return skip(
      'avito_system',
      `Avito system message${str(m.content.flow_id) ? ` (${m.content.flow_id})` : ''}`,
      m.id,
    );
  if (m.type === 'deleted') return skip('avito_deleted', 'a message deleted by its author', m.id);

  const enrichment = (stored.data.enrichment ?? {}) as AvitoEnrichment;
  const chat = avitoChatSchema.safeParse(enrichment.chat).data;
  const ours = m.author_id === m.user_id;
  const buyerId = ours
    ? (enrichment.buyerId ?? chat?.users.find((u) => u.id !== m.user_id)?.id)
    : m.author_id;
  if (buyerId === undefined)
    return skip('avito_own_message_unknown_chat', 'our message in a chat whose buyer is not known yet', m.id);
  const buyer = chat?.users.find((u) => u.id === buyerId);
  const item = chat?.context?.type === 'item' ? chat.context.value : undefined;
  const city = enrichment.itemAddress?.split(',')[0]?.trim();
  const signals: RoutingSignals = city ? { city } : {};
  const attachments = avitoAttachments(m);
  const comm: InboundCommunication = {
    kind: 'message',
    channel: 'avito',
    account,
    externalId: m.id,
    direction: ours ? 'out' : 'in',
    occurredAt: new Date(m.created * 1000),
    party: {
      ...(!ours && buyer?.name ? { name: buyer.name } : {}),
      identities: [{ kind: 'avito', account, value: String(buyerId) }],
      hints: [],
    },
    threadKey: `chat:${m.chat_id}`,
    ...(item?.title ? { subject: item.title } : {}),
    ...(str(m.content.text) ? { text: str(m.content.text) } : {}),
    ...(Object.keys(signals).length > 0 ? { signals } : {}),
    meta: {
      avito: {
        chatId: m.chat_id,
        chatType: m.chat_type ?? null,
        buyerId,
        itemId: m.item_id ?? item?.id ?? null,
        ...(item?.url ? { itemUrl: item.url } : {}),
        ...(item?.price_string ? { itemPrice: item.price_string } : {}),
        ...(stored.data.sentBy ? { sentBy: stored.data.sentBy } : {}),
      },
      ...(attachments.length > 0 ? { attachments } : {}),
    },
  };
  return { ok: true, communications: [comm] };
}

/** Avito message content -> attachment metadata (text messages have none). */
export function avitoAttachments(m: Pick<AvitoMessage, 'type' | 'content'>): MessengerAttachment[] {
  const c = m.content;
  switch (m.type) {
    case 'text':
      return [];
    case 'image': {
      const sizes = Object.entries(obj(obj(c.image).sizes));
      const area = (k: string) => k.split('x').reduce((a, b) => a * (Number(b) || 0), 1);
      // Ties broken by the key: the stored JSON (jsonb) does not keep the sender's key order.
      const largest = sizes.sort(([a], [b]) => area(b) - area(a) || (a < b ? -1 : a > b ? 1 : 0))[0];
      return [attachment({ kind: 'photo', url: str(largest?.[1]) })];
    }
    case 'voice':
      // The link is fetched on demand (getVoiceFiles): it lives one hour.
      return [attachment({ kind: 'voice', ref: str(obj(c.voice).voice_id) })];
    case 'link':
      return [attachment({ kind: 'link', url: str(obj(c.link).url), name: str(obj(c.link).text) })];
    case 'item':
      return [attachment({ kind: 'item', url: str(obj(c.item).item_url), name: str(obj(c.item).title) })];
    case 'location': {
      const l = obj(c.location);
      const at = num(l.lat) !== undefined && num(l.lon) !== undefined ? `${l.lat},${l.lon}` : undefined;
      return [attachment({ kind: 'location', name: str(l.text) ?? str(l.title), ref: at })];
    }
    case 'call':
      return [attachment({ kind: 'call', ref: str(obj(c.call).status) })];
    default:
      return [attachment({ kind: m.type })];
  }
}
