import { jsonDepth, MAX_JSON_DEPTH } from '../../core/safe-json.js';

/** A webhook body as flat string fields, whichever encoding the PBX chose. */
export type Fields = Record<string, string>;

/**
 * Reads a PBX webhook body: form-urlencoded (what the specs say) or JSON (what their examples show).
 * Dispatches on Content-Type, then tries the other encoding. Scalar JSON values become strings so that
 * both encodings validate against the same schema. Undefined when the body is neither.
 */
export function parseWebhookFields(raw: string, contentType: string | undefined): Fields | undefined {
  const json = () => fromJson(raw);
  const form = () => fromForm(raw);
  const first = contentType?.toLowerCase().includes('json') ? [json, form] : [form, json];
  for (const parse of first) {
    const fields = parse();
    if (fields && Object.keys(fields).length > 0) return fields;
  }
  return undefined;
}

function fromJson(raw: string): Fields | undefined {
  const text = raw.trim();
  if (!text.startsWith('{') || jsonDepth(text) > MAX_JSON_DEPTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Fields = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v !== null && v !== undefined) out[k] = JSON.stringify(v);
  }
  return out;
}

function fromForm(raw: string): Fields | undefined {
  const text = raw.trim();
  if (text === '' || !text.includes('=') || text.startsWith('{')) return undefined;
  const out: Fields = {};
  try {
    for (const [k, v] of new URLSearchParams(text)) if (k !== '') out[k] = v;
  } catch {
    return undefined;
  }
  return out;
}
