import { attachment, type MessengerAttachment, num, obj, str } from '../messenger/attachment.js';

/** VK attachments -> metadata with a link. Pure; unknown types are kept by their type name. */
export function vkAttachments(
  list: readonly { type: string; [k: string]: unknown }[],
): MessengerAttachment[] {
  return list.map((a) => {
    const body = obj(a[a.type]);
    const ref =
      num(body.owner_id) !== undefined && num(body.id) !== undefined
        ? `${body.owner_id}_${body.id}`
        : undefined;
    switch (a.type) {
      case 'photo': {
        const sizes = Array.isArray(body.sizes) ? body.sizes.map(obj) : [];
        const largest = sizes.reduce<Record<string, unknown> | undefined>(
          (best, s) => ((num(s.width) ?? 0) >= (num(best?.width) ?? -1) ? s : best),
          undefined,
        );
        return attachment({ kind: 'photo', url: str(largest?.url), ref });
      }
      case 'doc':
        return attachment({
          kind: 'file',
          url: str(body.url),
          name: str(body.title),
          size: num(body.size),
          ref,
        });
      case 'audio_message':
        return attachment({
          kind: 'voice',
          url: str(body.link_mp3) ?? str(body.link_ogg),
          durationSeconds: num(body.duration),
          ref,
        });
      case 'video':
        return attachment({
          kind: 'video',
          url: ref ? `https://vk.com/video${ref}` : undefined,
          name: str(body.title),
          durationSeconds: num(body.duration),
          ref,
        });
      case 'sticker':
        return attachment({ kind: 'sticker', ref: num(body.sticker_id)?.toString() });
      case 'link':
        return attachment({ kind: 'link', url: str(body.url), name: str(body.title) });
      case 'wall':
        return attachment({
          kind: 'wall',
          url:
            num(body.id) !== undefined
              ? `https://vk.com/wall${body.owner_id ?? body.from_id}_${body.id}`
              : undefined,
        });
      default:
        return attachment({ kind: a.type, ref });
    }
  });
}
