import { jsonDepth, MAX_JSON_DEPTH, type ParsedJson, storableJson } from '../../core/safe-json.js';

/**
 * JSON.parse that keeps 64-bit integers: MAX sends ids and `seq` values beyond 2^53, which JSON.parse would
 * round. Every integer literal outside a string whose value is not a safe integer becomes a string of its
 * exact digits before parsing; everything else parses as usual. Throws like JSON.parse on invalid JSON.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = '';
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i++;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < text.length && /[0-9.eE+-]/.test(text[i]!)) i++;
      const token = text.slice(start, i);
      if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(last, start)}"${token}"`;
        last = i;
      }
      continue;
    }
    i++;
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}

/**
 * A MAX webhook body for storage: nesting checked first, 64-bit integers kept as strings, then every string
 * made storable (NUL, lone surrogates), like the kit's parseStorableJson.
 */
export function parseStorableMaxJson(bytes: Uint8Array): ParsedJson {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') return { ok: false, reason: 'empty body' };
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    return { ok: false, reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: storableJson(parseJsonKeepingBigInts(text)) };
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message.slice(0, 200)}` };
  }
}
