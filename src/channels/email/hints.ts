/**
 * Phones and INNs written in a message: hints about who the sender is, never an identity on their own.
 * Only the part the sender wrote counts: quoted history (and the signatures in it) is cut off first.
 */

// Lines that start the quoted history in Russian and English mail clients.
const QUOTE_START = [
  /^>/,
  /^-{2,}\s*(?:original message|исходное сообщение|пересылаемое сообщение|forwarded message)/i,
  /^_{5,}\s*$/, // Outlook's separator line above "От: … Отправлено: …"
  /^(?:от|from):\s.+/i, // Outlook's quoted header block
  /^(?:on\s.+wrote:|.+\s(?:wrote|пишет|написала?|написал\(а\)):)\s*$/i,
  /^\d{1,2}[./]\d{1,2}[./]\d{2,4}.*(?:,|\s)\s*.+[<@].+>?\s*:?\s*$/, // "11.08.2025 12:00, Иван <ivan@…>:"
  /^(?:пн|вт|ср|чт|пт|сб|вс|mon|tue|wed|thu|fri|sat|sun)[.,].+(?:<[^>]+>|@).*:\s*$/i, // Gmail "пт, 11 авг. 2025 г. в 12:00, X <x@y>:"
];

/** The text without quoted history: everything from the first quote marker on is dropped. */
export function ownPart(text: string): string {
  const lines = text.split(/\r?\n/);
  const cut = lines.findIndex((l) => QUOTE_START.some((re) => re.test(l.trim())));
  return (cut < 0 ? lines : lines.slice(0, cut)).join('\n');
}

// Russian numbers as people write them: +7 / 8 / 7, separators, brackets; an extension is left to the parser.
const PHONE =
  /(?<![\d+])(?:\+7|8|7)[\s\u00a0-]*\(?\d{3,5}\)?[\s\u00a0-]*\d{1,3}[\s\u00a0-]*\d{2}[\s\u00a0-]*\d{2}(?!\d)/g;
const INN = /(?:ИНН|INN)(?:\s*\/\s*КПП)?\s*[:№#]?\s*(\d{10}|\d{12})(?!\d)/gi;

/** Raw phone strings found in the text (normalization and validity are the identity layer's job). */
export function findPhones(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(PHONE)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length === 11) found.add(m[0].trim());
  }
  return [...found].slice(0, 10);
}

/** INNs with a valid checksum, labelled as such in the text ("ИНН 7707083893"). */
export function findInns(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(INN)) if (m[1] && isValidInn(m[1])) found.add(m[1]);
  return [...found];
}

const W10 = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const W11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/** The check digits of a Russian taxpayer number (10 digits: a company, 12: a person or sole trader). */
export function isValidInn(inn: string): boolean {
  const d = [...inn].map(Number);
  const check = (weights: number[]) => (weights.reduce((s, w, i) => s + w * d[i]!, 0) % 11) % 10;
  if (d.length === 10) return check(W10) === d[9];
  if (d.length === 12) return check(W11) === d[10] && check(W12) === d[11];
  return false;
}
