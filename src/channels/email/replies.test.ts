import { describe, expect, it } from 'vitest';
import { replySubject } from './replies.js';

describe('replySubject', () => {
  it.each([
    ['Запрос КП', 'Re: Запрос КП'],
    ['  Запрос КП ', 'Re: Запрос КП'],
    ['Re: Запрос КП', 'Re: Запрос КП'],
    ['RE: Запрос КП', 'RE: Запрос КП'],
    ['Re[2]: Запрос КП', 'Re[2]: Запрос КП'],
    ['Ответ: Запрос КП', 'Ответ: Запрос КП'],
    ['Fwd: Запрос КП', 'Re: Fwd: Запрос КП'],
    ['', 'Re:'],
  ])('%j -> %j', (subject, expected) => {
    expect(replySubject(subject)).toBe(expected);
  });
});
