import { describe, expect, it } from 'vitest';
import { actorLabel, strategyLabel, trailLine, translateWhy } from './trace-ru.js';

describe('the routing trace in Russian', () => {
  it.each([
    ['next in rotation among members on shift', 'следующий по очереди среди менеджеров на смене'],
    ['at capacity (30/30 open leads)', 'загружен полностью (30 из 30 открытых лидов)'],
    ['responsible of the contact: off shift', 'ответственный за контакт: не на смене'],
    ['not next in rotation (petrova is)', 'не его очередь (очередь petrova)'],
    ['something new the router says', 'something new the router says'],
    ['keyword "дилер" in the first message', 'в первом сообщении есть «дилер»'],
    ['client type partner, channel telegram', 'тип клиента: партнёр (дилер), канал: Telegram'],
  ])('%s', (en, ru) => expect(translateWhy(en)).toBe(ru));

  it('names strategies', () => {
    expect(strategyLabel('round_robin')).toBe('по очереди среди менеджеров на смене');
    expect(strategyLabel(undefined)).toBeUndefined();
  });
});

describe('the audit trail in Russian', () => {
  const name = (l: string) => ({ petrova: 'Мария Петрова', ivanov: 'Иван Иванов' })[l] ?? l;
  it('spells out a person’s change with its reason', () => {
    expect(trailLine({ action: 'lead.updated', reason: 'status new -> junk (причина: спам)' }, name)).toEqual(
      { what: 'Изменение', detail: 'статус: Новый → Некачественный; причина: спам' },
    );
    expect(
      trailLine(
        { action: 'lead.updated', reason: 'status new -> in_progress; responsible - -> petrova' },
        name,
      ).detail,
    ).toBe('статус: Новый → В работе; ответственный: нет → Мария Петрова');
    expect(actorLabel('web:ivanov', name)).toBe('Иван Иванов');
    expect(trailLine({ action: 'decision.new_lead', reason: 'x' }, name).what).toBe('Новый лид');
  });
});
