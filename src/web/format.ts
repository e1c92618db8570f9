import { macroTerritoryById, regionByCode } from '../core/regions.js';

/** Every date, phone and duration the web app shows goes through here: one look everywhere. */

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function fmt(timeZone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(opts)}`;
  let f = dateTimeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('ru-RU', { timeZone, ...opts });
    dateTimeFormats.set(key, f);
  }
  return f;
}

const dayKey = (d: Date, timeZone: string) =>
  fmt(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

/** "сегодня, 12:15", "вчера, 09:03", "20 нояб., 12:15", "20 нояб. 2025 г., 12:15" in the team's zone. */
export function formatWhen(d: Date, timeZone: string, now: Date): string {
  const time = fmt(timeZone, { hour: '2-digit', minute: '2-digit' }).format(d);
  const day = dayKey(d, timeZone);
  if (day === dayKey(now, timeZone)) return `сегодня, ${time}`;
  if (day === dayKey(new Date(now.getTime() - 86_400_000), timeZone)) return `вчера, ${time}`;
  const sameYear =
    fmt(timeZone, { year: 'numeric' }).format(d) === fmt(timeZone, { year: 'numeric' }).format(now);
  const date = fmt(timeZone, sameYear ? { day: 'numeric', month: 'short' } : { dateStyle: 'medium' }).format(
    d,
  );
  return `${date}, ${time}`;
}

/** A full timestamp for a tooltip: "20.11.2026, 12:15:03". */
export function formatExact(d: Date, timeZone: string): string {
  return fmt(timeZone, { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

/** Russian numbers as +7 (912) 345-67-89; other countries' E.164 as stored. */
export function formatPhone(e164: string): string {
  const m = /^\+7(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(e164);
  return m ? `+7 (${m[1]}) ${m[2]}-${m[3]}-${m[4]}` : e164;
}

/** A call's duration: "45 с", "3 мин 05 с", "1 ч 02 мин". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} с`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} мин ${String(s % 60).padStart(2, '0')} с`;
  return `${Math.floor(m / 60)} ч ${String(m % 60).padStart(2, '0')} мин`;
}

/** An identity as a person reads it. */
export function formatIdentity(kind: string, value: string): string {
  return kind === 'phone' ? formatPhone(value) : value;
}

/** A region id (RU-SVE, RU-MOW+RU-MOS) as its Russian name. */
export function regionLabel(id: string): string {
  return regionByCode(id)?.name ?? macroTerritoryById(id)?.name ?? id;
}

/**
 * An SLA notification's body as the notifications page shows it: the same text goes to Telegram and email, so
 * it starts with an emoji and the title and ends with the link; on the page the title and «Открыть лид» are
 * already there, and the emoji has no glyph in many desktop fonts.
 */
export function notificationDetail(title: string, body: string): string {
  let text = body
    .replace(/^[^\p{L}\p{N}]+/u, '')
    .replace(/\s*Открыть:\s*https?:\/\/\S+\s*$/u, '')
    .trim();
  if (text.startsWith(title)) text = text.slice(title.length).replace(/^[\s,.:;—-]+/u, '');
  return text;
}
