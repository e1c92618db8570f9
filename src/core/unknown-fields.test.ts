import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nearestName, strictObject, unknownFieldIssues, unknownFieldMessage } from './unknown-fields.js';

describe('nearestName', () => {
  it.each([
    ['responsibel', ['status', 'responsible', 'comment'], 'responsible'],
    ['phone', ['name', 'phones', 'emails'], 'phones'],
    ['user_id', ['name', 'phones', 'userId'], 'userId'],
    ['telegramChatID', ['login', 'telegramChatId', 'email'], 'telegramChatId'],
    ['telefony', ['server', 'telephony', 'teams'], 'telephony'],
    ['logs', ['log', 'sla', 'email'], 'log'],
    ['zzzzzz', ['name', 'phones'], undefined],
  ])('%s among %j -> %s', (given, known, expected) => {
    expect(nearestName(given, known)).toBe(expected);
  });

  it('a hint wins where spelling does not help', () => {
    expect(nearestName('vk', ['name', 'phones', 'userId'])).not.toBe('userId');
    expect(nearestName('vk', ['name', 'phones', 'userId'], { vk: 'userId' })).toBe('userId');
  });

  it('lists the valid names when none is close', () => {
    expect(unknownFieldMessage('zzzzzz', ['a', 'b'])).toBe('unknown field "zzzzzz" (expected one of: a, b)');
  });
});

describe('strictObject', () => {
  it('gives one issue per unknown key, its path ending with the key', () => {
    const schema = z.object({ from: strictObject({ name: z.string(), phones: z.array(z.string()) }) });
    const result = schema.safeParse({ from: { name: 'x', phones: [], phone: '1', emial: 'a' } });
    expect(result.success).toBe(false);
    expect(unknownFieldIssues(result.error!.issues)).toEqual([
      { path: ['from', 'phone'], message: 'unknown field "phone" (did you mean "phones"?)' },
      { path: ['from', 'emial'], message: 'unknown field "emial" (expected one of: name, phones)' },
    ]);
  });
});
