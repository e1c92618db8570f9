import type { Parsed } from '../messenger/take-in.js';
import { type VkEvent, vkEventSchema, vkMessageNewObjectSchema, vkMessageSchema } from './schema.js';

/**
 * Validates one VK update (a Callback delivery or a Long Poll update) at the edge: the envelope, and the
 * message object of message events. The Callback `secret` is dropped: it is never stored.
 */
export function parseVkUpdate(value: unknown): Parsed<VkEvent> {
  const event = vkEventSchema.safeParse(value);
  if (!event.success)
    return { ok: false, reason: `not a VK event: ${issue(event.error)}`, value: redact(value) };
  const { secret: _secret, ...update } = event.data;
  const object =
    update.type === 'message_new'
      ? vkMessageNewObjectSchema.safeParse(update.object)
      : update.type === 'message_reply'
        ? vkMessageSchema.safeParse(update.object)
        : undefined;
  if (object && !object.success)
    return {
      ok: false,
      reason: `VK ${update.type} without a valid message: ${issue(object.error)}`,
      value: update,
    };
  return { ok: true, update };
}

/** The sender to look up with users.get: a person's incoming message only. */
export function vkSenderOf(update: VkEvent): number | undefined {
  if (update.type !== 'message_new') return undefined;
  const m = vkMessageNewObjectSchema.safeParse(update.object).data?.message;
  return m && m.out !== 1 && m.from_id > 0 ? m.from_id : undefined;
}

function issue(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const i = error.issues[0];
  return i ? `${i.path.map(String).join('.') || '(body)'}: ${i.message}` : 'invalid';
}

function redact(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const { secret: _secret, ...rest } = value as Record<string, unknown>;
  return rest;
}
