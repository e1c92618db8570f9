/**
 * WhatsApp chat ids: `<phone digits>@c.us` (a person by phone), `<digits>@lid` (a person by a privacy id whose
 * digits are NOT a phone), `…@g.us` groups, `status@broadcast`, `…@broadcast` lists, `…@newsletter` channels.
 */
export type ChatId =
  | { kind: 'phone'; id: string; phone: string }
  | { kind: 'lid'; id: string }
  | { kind: 'group' | 'status' | 'broadcast' | 'newsletter' | 'unknown'; id: string };

export function parseChatId(id: string): ChatId {
  const at = id.lastIndexOf('@');
  const user = at < 0 ? id : id.slice(0, at);
  const server = at < 0 ? '' : id.slice(at + 1);
  // A device suffix (`79123456789:12@c.us`) is not part of the number.
  const digits = user.split(':')[0] ?? '';
  switch (server) {
    case 'c.us':
    case 's.whatsapp.net':
      return /^\d{6,15}$/.test(digits) ? { kind: 'phone', id, phone: `+${digits}` } : { kind: 'unknown', id };
    case 'lid':
      return /^\d{1,20}$/.test(digits) ? { kind: 'lid', id: `${digits}@lid` } : { kind: 'unknown', id };
    case 'g.us':
      return { kind: 'group', id };
    case 'broadcast':
      return user === 'status' ? { kind: 'status', id } : { kind: 'broadcast', id };
    case 'newsletter':
      return { kind: 'newsletter', id };
    default:
      return { kind: 'unknown', id };
  }
}

/** Why a chat is not a client conversation, or undefined when it is one. */
export function skipReason(chat: ChatId): { rule: string; reason: string } | undefined {
  switch (chat.kind) {
    case 'phone':
    case 'lid':
      return undefined;
    case 'group':
      return { rule: 'skip_group', reason: 'a group chat: groups are not client conversations' };
    case 'status':
      return { rule: 'skip_status_broadcast', reason: 'a status update (status@broadcast)' };
    case 'broadcast':
      return { rule: 'skip_broadcast', reason: 'a broadcast list message' };
    case 'newsletter':
      return { rule: 'skip_newsletter', reason: 'a WhatsApp channel (newsletter) post' };
    case 'unknown':
      return { rule: 'skip_unknown_chat', reason: 'a chat id of an unknown kind' };
    default: {
      const _exhaustive: never = chat;
      return _exhaustive;
    }
  }
}

/** Phones on the TEL lines of vCards (a shared contact): hints, never the sender's identity. */
export function vcardPhones(vcards: readonly string[]): string[] {
  const phones: string[] = [];
  for (const card of vcards)
    for (const line of card.split(/\r?\n/)) {
      const m = /^(?:item\d+\.)?TEL[^:]*:(.+)$/i.exec(line.trim());
      if (m?.[1]) phones.push(m[1].trim());
    }
  return phones;
}

/** Display names (FN) of vCards. */
export function vcardNames(vcards: readonly string[]): string[] {
  const names: string[] = [];
  for (const card of vcards)
    for (const line of card.split(/\r?\n/)) {
      const m = /^FN[^:]*:(.+)$/i.exec(line.trim());
      if (m?.[1]) names.push(m[1].trim());
    }
  return names;
}
