import { describe, expect, it } from 'vitest';
import { formatDuration, formatPhone, formatWhen, notificationDetail } from './format.js';
import { plural } from './i18n/ru.js';

describe('web formatting', () => {
  it.each([
    ['+79123456789', '+7 (912) 345-67-89'],
    ['+78432000000', '+7 (843) 200-00-00'],
    ['+375291234567', '+375291234567'],
  ])('phone %s -> %s', (e164, shown) => expect(formatPhone(e164)).toBe(shown));

  it('dates are in the team time zone, relative to today', () => {
    const now = new Date('2026-11-30T10:00:00Z');
    expect(formatWhen(new Date('2026-11-30T09:15:00Z'), 'Europe/Moscow', now)).toBe('сегодня, 12:15');
    expect(formatWhen(new Date('2026-11-29T20:30:00Z'), 'Europe/Moscow', now)).toBe('вчера, 23:30');
    // 22:30 UTC on the 29th is already the 30th in Yekaterinburg (+5).
    expect(formatWhen(new Date('2026-11-29T22:30:00Z'), 'Asia/Yekaterinburg', now)).toBe('сегодня, 03:30');
    expect(formatWhen(new Date('2026-11-20T09:15:00Z'), 'Europe/Moscow', now)).toMatch(/^20 нояб\.?, 12:15$/);
  });

  it.each([
    [45, '45 с'],
    [185, '3 мин 05 с'],
    [3720, '1 ч 02 мин'],
  ])('duration %d s -> %s', (s, shown) => expect(formatDuration(s)).toBe(shown));

  it.each([
    [1, 'лид'],
    [3, 'лида'],
    [11, 'лидов'],
    [22, 'лида'],
    [25, 'лидов'],
  ])('plural %d', (n, w) => expect(plural(n, 'лид', 'лида', 'лидов')).toBe(w));

  it('a notification shows its details once, without the emoji and the link', () => {
    expect(
      notificationDetail(
        'Лид не взят в работу 2 ч 01 мин: Дмитрий Ватсапов',
        '⏰ Лид не взят в работу 2 ч 01 мин: Дмитрий Ватсапов, +7 912 ***-**-00, канал: WhatsApp. Открыть: http://127.0.0.1:8080/leads/d8efbd4d',
      ),
    ).toBe('+7 912 ***-**-00, канал: WhatsApp.');
    expect(notificationDetail('Другое', 'Текст без ссылки')).toBe('Текст без ссылки');
  });
});
