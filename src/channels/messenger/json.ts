import { jsonDepth, MAX_JSON_DEPTH, type ParsedJson, storableJson } from '../../core/safe-json.js';

/**
 * JSON.parse that keeps integers too large for a double as strings (Viber's 64-bit `message_token`:
 * 5466394344559121456 would silently become 5466394344559121000). Only integer literals of 16+ digits
 * outside strings are touched. Throws like JSON.parse on invalid JSON.
 */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = '';
  let inString = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (ch === '"') inString = false;
      i++;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      i++;
      continue;
    }
    const m = /^-?\d{16,}(?![.eE\d])/.exec(text.slice(i, i + 40));
    if (m && !/[\d.eE-]/.test(text[i - 1] ?? '')) {
      out += `"${m[0]}"`;
      i += m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return JSON.parse(out);
}

/**
 * A webhook body as JSON PostgreSQL can store (src/core/safe-json.ts: depth limited, NUL and lone surrogates
 * cleaned in the decoded copy; the raw bytes keep them), optionally keeping big integers as strings.
 */
export function parseWebhookJson(text: string, opts: { bigInts?: boolean } = {}): ParsedJson {
  if (text.trim() === '') return { ok: false, reason: 'empty body' };
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    return { ok: false, reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: storableJson(opts.bigInts ? parseJsonKeepingBigInts(text) : JSON.parse(text)) };
  } catch (err) {
    return { ok: false, reason: `malformed JSON: ${(err as Error).message.slice(0, 200)}` };
  }
}
