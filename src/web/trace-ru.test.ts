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

  it.each([
    [
      'phone …6789 matched an existing contact; the contact already has an open lead (status in_progress): no second lead',
      'клиент узнан: телефон …6789; у клиента уже есть открытый лид (в работе) — второй не создаётся',
    ],
    [
      'no identity of the sender was known: new contact; new lead for a new prospect',
      'контакт отправителя не был известен — новый клиент; новый лид от нового клиента',
    ],
    [
      'telegram …4321 matched an existing contact; the contact has an active deal D-17 (stage "Счёт")',
      'клиент узнан: Telegram …4321; у клиента активная сделка D-17 (стадия «Счёт») — сообщение добавлено к ней',
    ],
    [
      'the sender carried no usable identity (email: own address): new contact; the contact is a prospect without an open lead: new lead',
      'у отправителя нет пригодного контакта — новый клиент; потенциальный клиент без открытого лида — новый лид',
    ],
    [
      'email …e.ru matched an existing contact; the contact is a known client without an active deal or open lead: repeat lead',
      'клиент узнан: email …e.ru; известный клиент без активной сделки и открытого лида — повторное обращение',
    ],
    ['message 12 on vk/main was already received', 'это сообщение уже было получено'],
    [
      'contacts merged: duplicate open lead closed, messages moved to lead 0b0c5f3e-4c1a-4c55-9f0e-1d2c3b4a5f6e',
      'контакты объединены: дублирующий открытый лид закрыт, сообщения перенесены в основной',
    ],
  ])('audit reason %s', (reason, expected) => {
    const line = trailLine({ action: 'decision.attached_to_lead', reason }, name);
    expect(line.detail).toBe(expected);
    expect(line.raw).toBeUndefined();
  });

  it('an unknown action or reason is said neutrally, the original kept for a tooltip only', () => {
    expect(trailLine({ action: 'lead.teleported', reason: 'moved to Mars' }, name)).toEqual({
      what: 'Событие',
      detail: null,
      raw: 'lead.teleported: moved to Mars',
    });
    expect(trailLine({ action: 'decision.new_lead', reason: 'a reason from the future' }, name)).toEqual({
      what: 'Новый лид',
      detail: null,
      raw: 'a reason from the future',
    });
  });
});
