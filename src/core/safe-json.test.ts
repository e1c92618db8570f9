import { describe, expect, it } from 'vitest';
import { jsonDepth, parseStorableJson, storableJson, storableText } from './safe-json.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('storable text and JSON', () => {
  it('removes NUL and replaces lone surrogates, leaving valid text alone', () => {
    expect(storableText('Нужен\u0000 стол')).toBe('Нужен стол');
    expect(storableText('эмодзи \ud83d')).toBe('эмодзи \ufffd');
    expect(storableText('целый 😀')).toBe('целый 😀');
    expect(storableJson({ 'a\u0000': ['x\udc00', 1, null, { b: 'ok' }] })).toEqual({
      a: ['x\ufffd', 1, null, { b: 'ok' }],
    });
  });

  it('measures depth without parsing, ignoring brackets inside strings', () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[{"}]}')).toBe(3);
    expect(jsonDepth('"\\"{"')).toBe(0);
    expect(jsonDepth('['.repeat(5000), 64)).toBe(65);
  });

  it('refuses deep, malformed and empty bodies with a reason; parses the rest storably', () => {
    expect(parseStorableJson(bytes(`${'['.repeat(5000)}${']'.repeat(5000)}`))).toEqual({
      ok: false,
      reason: 'JSON nested deeper than 64 levels',
    });
    expect(parseStorableJson(bytes('{"text":'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^malformed JSON/),
    });
    expect(parseStorableJson(bytes('  '))).toEqual({ ok: false, reason: 'empty body' });
    expect(parseStorableJson(bytes('{"text":"a\\u0000b\\ud800"}'))).toEqual({
      ok: true,
      value: { text: 'ab\ufffd' },
    });
  });
});
