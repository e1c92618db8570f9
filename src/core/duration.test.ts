import { describe, expect, it } from 'vitest';
import { formatAgeRu, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['2h', 7_200_000],
    ['90m', 5_400_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    ['45s', 45_000],
    [' 1h 5m ', 3_900_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '0m', '2', 'h', '30m1h', '1.5h', '-1h', '2 hours'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('formatAgeRu', () => {
  it.each([
    [0, '0 мин'],
    [59_999, '0 мин'],
    [45 * 60_000, '45 мин'],
    [125 * 60_000, '2 ч 05 мин'],
    [(26 * 60 + 10) * 60_000, '1 д 2 ч'],
  ])('%d ms -> %s', (ms, text) => expect(formatAgeRu(ms)).toBe(text));
});
