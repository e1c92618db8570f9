import { describe, expect, it } from 'vitest';
import { strategyLabel, translateWhy } from './trace-ru.js';

describe('the routing trace in Russian', () => {
  it.each([
    ['next in rotation among members on shift', 'следующий по очереди среди менеджеров на смене'],
    ['at capacity (30/30 open leads)', 'загружен полностью (30 из 30 открытых лидов)'],
    ['responsible of the contact: off shift', 'ответственный за контакт: не на смене'],
    ['not next in rotation (petrova is)', 'не его очередь (очередь petrova)'],
    ['something new the router says', 'something new the router says'],
  ])('%s', (en, ru) => expect(translateWhy(en)).toBe(ru));

  it('names strategies', () => {
    expect(strategyLabel('round_robin')).toBe('по очереди среди менеджеров на смене');
    expect(strategyLabel(undefined)).toBeUndefined();
  });
});
