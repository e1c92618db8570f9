import { emailOf, mobileDigits } from './seed.js';
import { mulberry32 } from './stats.js';

export type EventKind = 'known' | 'unknown' | 'duplicate';
export const EVENT_KINDS: readonly EventKind[] = ['known', 'unknown', 'duplicate'];

export interface BenchEvent {
  kind: EventKind;
  /** The POST /api/v1/inbound body, serialized. */
  body: string;
}

/** How a person types their own number: every format the normalizer must bring to one E.164 value. */
export function formatPhone(digits9: string, variant: number): string {
  const [a, b, c, d] = [digits9.slice(0, 2), digits9.slice(2, 5), digits9.slice(5, 7), digits9.slice(7)];
  switch (variant % 4) {
    case 0:
      return `8 (9${a}) ${b}-${c}-${d}`;
    case 1:
      return `+7 9${a} ${b}-${c}-${d}`;
    case 2:
      return `79${digits9}`;
    default:
      return `9${digits9}`;
  }
}

const DUPLICATE_WINDOW = 5_000;

/**
 * The inbound mix: ~70% known contacts (a random seeded contact, its phone in a random format, sometimes
 * its email too), ~20% unknown senders (fresh numbers and addresses), ~10% duplicate deliveries (an earlier
 * body resent with the same externalId). Channels: web form 50%, phone call 35%, email 15%.
 */
export function createWorkload(opts: { contacts: number; seed: number; runId: string }) {
  const random = mulberry32(opts.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const sent: string[] = [];
  let seq = 0;
  // Unknown senders get indexes past the seeded ones (phones stay unique below 1e9), at a random offset
  // per run: a kept database must not already know them.
  let unknown = opts.contacts + Math.floor(Math.random() * (900_000_000 - opts.contacts));

  function body(i: number, known: boolean): string {
    seq += 1;
    const externalId = `bench-${opts.runId}-${seq}`;
    const occurredAt = new Date().toISOString();
    const phone = formatPhone(mobileDigits(i), pick(4));
    const name = known && random() < 0.5 ? undefined : `Клиент ${i}`;
    const r = random();
    if (r < 0.5)
      return JSON.stringify({
        channel: 'webform',
        account: 'site',
        externalId,
        occurredAt,
        from: { name, phones: [phone], emails: random() < 0.5 ? [emailOf(i)] : [] },
        subject: 'Заявка с сайта',
        text: 'Нужны столы и стулья для кафе на 40 мест, доставка в течение месяца.',
        ...(random() < 0.3 ? { region: 'RU-MOW' } : {}),
      });
    if (r < 0.85)
      return JSON.stringify({
        channel: 'phone',
        account: 'pbx-main',
        externalId,
        occurredAt,
        from: { phones: [phone] },
        call: random() < 0.8 ? { state: 'answered', talkSeconds: 30 + pick(600) } : { state: 'missed' },
      });
    return JSON.stringify({
      channel: 'email',
      account: 'sales@mebel-fabrika.ru',
      externalId,
      occurredAt,
      from: { name, emails: [emailOf(i)], phones: random() < 0.3 ? [phone] : [] },
      subject: 'Запрос коммерческого предложения',
      text: 'Добрый день! Просим выставить счёт на барные стойки, 6 штук. Реквизиты во вложении.',
    });
  }

  return {
    next(): BenchEvent {
      const r = random();
      if (r < 0.1 && sent.length > 0) return { kind: 'duplicate', body: sent[pick(sent.length)]! };
      const known = r < 0.8;
      const b = body(known ? pick(opts.contacts) : unknown++, known);
      if (sent.length < DUPLICATE_WINDOW) sent.push(b);
      else sent[pick(DUPLICATE_WINDOW)] = b;
      return { kind: known ? 'known' : 'unknown', body: b };
    },
  };
}
