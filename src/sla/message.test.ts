import { describe, expect, it } from 'vitest';
import { maskEmail, maskPhone, renderAlert } from './message.js';

describe('the Russian alert text', () => {
  const facts = {
    leadId: '4b0d7c1e-2f0a-4a7e-9a51-3f1d2c3b4a59',
    channel: 'webform',
    firstContactAt: new Date('2026-11-20T09:00:00Z'),
    teamName: 'Розница',
    responsibleName: 'Мария Петрова',
    clientName: 'Иван Петров',
    phone: '+79123456789',
    email: 'ivan@example.ru',
  };

  it('names the client, channel, age, assignee and links the lead', () => {
    const a = renderAlert(facts, new Date('2026-11-20T11:05:30Z'), 'https://crm.example.ru/');
    expect(a.text).toBe(
      '⏰ Лид не взят в работу 2 ч 05 мин: Иван Петров, +7 912 ***-**-89, канал: Сайт, отдел: Розница, ' +
        'ответственный: Мария Петрова. Открыть: https://crm.example.ru/leads/4b0d7c1e-2f0a-4a7e-9a51-3f1d2c3b4a59',
    );
    expect(a.subject).toBe('Лид не взят в работу 2 ч 05 мин: Иван Петров');
  });

  it('says so when nobody is responsible and the client has no name or phone', () => {
    const a = renderAlert(
      { ...facts, responsibleName: null, clientName: null, phone: null, teamName: null, channel: 'avito' },
      new Date('2026-11-20T09:45:00Z'),
      'http://127.0.0.1:8080',
    );
    expect(a.text).toBe(
      '⏰ Лид не взят в работу 45 мин: клиент без имени, i***@example.ru, канал: Авито, ответственный: не назначен. ' +
        'Открыть: http://127.0.0.1:8080/leads/4b0d7c1e-2f0a-4a7e-9a51-3f1d2c3b4a59',
    );
  });

  it.each([
    ['+79123456789', '+7 912 ***-**-89'],
    ['+375291234567', '+3752***67'],
    ['+123', '***'],
  ])('masks %s as %s', (phone, masked) => expect(maskPhone(phone)).toBe(masked));

  it('masks emails', () => expect(maskEmail('ivan@example.ru')).toBe('i***@example.ru'));
});
