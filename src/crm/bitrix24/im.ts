import type { RawIdentity } from '../../core/communication.js';
import type { B24Contact } from './schema.js';

type ImItem = NonNullable<B24Contact['IM']>[number];

/** Our channel accounts a Bitrix24 messenger id belongs to (Telegram and VK user ids are global, not per bot). */
export interface ImAccounts {
  telegram: readonly string[];
  vk: readonly string[];
}

/** A VK user id from `123`, `id123`, `https://vk.com/id123` (a screen name cannot be resolved offline). */
const vkId = (v: string) => /^(?:(?:https?:\/\/)?(?:m\.)?vk\.com\/)?(?:id)?(\d{1,12})\/?$/i.exec(v)?.[1];
/** A Telegram user id; an @username or t.me link is not one (updates identify a client by the id). */
const telegramId = (v: string) => /^(\d{3,15})$/.exec(v)?.[1];

/**
 * A contact's `IM` multi-field (reference §3: VALUE_TYPE TELEGRAM, VK, VIBER, WHATSAPP, IMOL…) as our
 * identities: WHATSAPP is a phone number (a WhatsApp client is known here by phone), TELEGRAM and VK user
 * ids become identities on each of our accounts of that channel. The rest (usernames, Viber — its ids are
 * per bot —, Skype, open lines) is `kept`: stored with the record, never an identity.
 */
export function imIdentities(
  items: readonly ImItem[] | undefined,
  accounts: ImAccounts,
): { identities: RawIdentity[]; kept: ImItem[] } {
  const identities: RawIdentity[] = [];
  const kept: ImItem[] = [];
  for (const item of items ?? []) {
    const value = item.VALUE.trim();
    if (!value) continue;
    const type = (item.VALUE_TYPE ?? '').toUpperCase();
    const vk = type === 'VK' ? vkId(value) : undefined;
    const tg = type === 'TELEGRAM' ? telegramId(value.replace(/^@/, '')) : undefined;
    if (type === 'WHATSAPP' && /\d{7,}/.test(value.replace(/\D/g, '')))
      identities.push({ kind: 'phone', value });
    else if (vk && accounts.vk.length > 0)
      identities.push(...accounts.vk.map((account) => ({ kind: 'vk' as const, account, value: vk })));
    else if (tg && accounts.telegram.length > 0)
      identities.push(
        ...accounts.telegram.map((account) => ({ kind: 'telegram' as const, account, value: tg })),
      );
    else kept.push(item);
  }
  return { identities, kept };
}

const WRITTEN: Record<string, string> = { telegram: 'TELEGRAM', vk: 'VK' };

/**
 * A contact's messenger identities as `IM` items of a Bitrix24 write (`[{VALUE, VALUE_TYPE}]`, reference §5):
 * Telegram and VK user ids, once each (the same person on two of our bots is one id).
 */
export function imFields(identities: readonly { kind: string; value: string }[]) {
  const seen = new Set<string>();
  const out: { VALUE: string; VALUE_TYPE: string }[] = [];
  for (const i of identities) {
    const type = WRITTEN[i.kind];
    if (!type) continue;
    const id = i.value.slice(i.value.indexOf(':') + 1);
    if (seen.has(`${type}|${id}`)) continue;
    seen.add(`${type}|${id}`);
    out.push({ VALUE: id, VALUE_TYPE: type });
  }
  return out;
}
