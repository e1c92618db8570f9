import { describe, expect, it } from 'vitest';
import { parseJsonKeepingBigInts } from './safe-json.js';

describe('parseJsonKeepingBigInts', () => {
  it.each([
    ['{"seq":115600785883425360}', { seq: '115600785883425360' }],
    ['{"a":-9223372036854775808,"b":9007199254740991}', { a: '-9223372036854775808', b: 9007199254740991 }],
    ['{"t":1767002400123,"x":1.5e3,"y":-2}', { t: 1767002400123, x: 1500, y: -2 }],
    [
      '{"s":"115600785883425360 \\" 99999999999999999999","n":[12345678901234567890]}',
      {
        s: '115600785883425360 " 99999999999999999999',
        n: ['12345678901234567890'],
      },
    ],
    ['[]', []],
  ])('%s', (text, expected) => {
    expect(parseJsonKeepingBigInts(text)).toEqual(expected);
  });

  it('throws on invalid JSON', () => {
    expect(() => parseJsonKeepingBigInts('{"a":')).toThrow();
  });
});
