/**
 * What PostgreSQL cannot keep in json/text, and JSON that would exhaust the stack: the raw bytes of a request
 * are stored as received (bytea), and only the derived copy goes through these functions.
 */

/** Deepest nesting accepted in a JSON body. Real payloads nest a handful of levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * Text PostgreSQL can store: NUL removed (text and json refuse it), lone surrogates (what JavaScript leaves when it
 * cuts an emoji in half) replaced by U+FFFD.
 */
export function storableText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what has to go
  const noNul = text.includes('\u0000') ? text.replace(/\u0000/g, '') : text;
  return noNul.isWellFormed() ? noNul : noNul.toWellFormed();
}

/** A deep copy of a parsed JSON value whose every string (keys included) is storable. */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableJson(v);
    return out;
  }
  return value;
}

/** Nesting depth of JSON text, counted without parsing (strings skipped); stops counting past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return max;
}

export type ParsedJson = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Parses a request body as JSON for storage and validation: the depth checked first (a 5,000-level body never
 * reaches a recursive parser or serializer), then every string made storable.
 */
export function parseStorableJson(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): ParsedJson {
  const text = new TextDecoder('utf-8').decode(bytes);
  if (text.trim() === '') return { ok: false, reason: 'empty body' };
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) return { ok: false, reason: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { ok: true, value: storableJson(JSON.parse(text)) };
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message.slice(0, 200)}` };
  }
}
