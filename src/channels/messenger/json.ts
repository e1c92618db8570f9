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
