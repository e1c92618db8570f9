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
 * JSON.parse that keeps 64-bit integers exact: Viber's `message_token` and MAX's ids and `seq` values go beyond
 * 2^53, which JSON.parse would round (5466394344559121456 would become 5466394344559121000). Every integer
 * literal outside a string whose value is not a safe integer becomes a string of its exact digits before
 * parsing; everything else parses as usual. Throws like JSON.parse on invalid JSON.
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
 * Parses a request body as JSON for storage and validation: the depth checked first (a 5,000-level body never
 * reaches a recursive parser or serializer), then every string made storable. `bigInts` keeps integers beyond
 * 2^53 as strings of their exact digits (parseJsonKeepingBigInts).
 */
export function parseStorableJson(
  body: Uint8Array | string,
  opts: { maxDepth?: number; bigInts?: boolean } = {},
): ParsedJson {
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  const text = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
  if (text.trim() === '') return { ok: false, reason: 'empty body' };
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) return { ok: false, reason: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { ok: true, value: storableJson(opts.bigInts ? parseJsonKeepingBigInts(text) : JSON.parse(text)) };
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message.slice(0, 200)}` };
  }
}
