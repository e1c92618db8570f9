import { createHash } from 'node:crypto';
import type { InboundCommunication, MessengerIdentityKind, RawIdentity } from '../../core/communication.js';
import { parseStorableJson } from '../../core/safe-json.js';
import type { InboundSource, NormalizeResult } from '../channel.js';
import { type InboundApiBody, inboundApiSchema, MESSENGERS } from './schema.js';

/** POST /api/v1/inbound bodies. The stored payload is re-validated: it is the same schema the route used. */
export const apiSource: InboundSource = {
  normalize(payload: unknown, raw?: Uint8Array): NormalizeResult {
    // A body rejected as unreadable kept only its raw bytes: read them again (the code may have been fixed).
    if ((payload === null || payload === undefined) && raw) {
      const json = parseStorableJson(raw);
      if (!json.ok) return { ok: false, error: json.reason };
      payload = json.value;
    }
    const parsed = inboundApiSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, error: issue?.message ?? 'invalid', field: issue?.path.join('.') ?? '' };
    }
    return { ok: true, communications: [toCommunication(parsed.data)] };
  },
};

export function toCommunication(body: InboundApiBody): InboundCommunication {
  const p = (body.direction === 'in' ? body.from : body.to) ?? { phones: [], emails: [] };
  const identities: RawIdentity[] = [];
  if (p.userId && isMessenger(body.channel))
    identities.push({ kind: body.channel, account: body.account, value: p.userId });
  // The address the channel itself carries comes first: it is the sender's own and wins a conflict.
  const phones = p.phones.map((value): RawIdentity => ({ kind: 'phone', value }));
  const emails = p.emails.map((value): RawIdentity => ({ kind: 'email', value }));
  identities.push(...(body.channel === 'email' ? [...emails, ...phones] : [...phones, ...emails]));
  const signals = {
    ...(body.region ? { region: body.region } : {}),
    ...(body.clientType ? { clientType: body.clientType } : {}),
    ...(body.regionHint ? { regionHint: body.regionHint } : {}),
    ...(body.city ? { city: body.city } : {}),
  };
  const base = {
    channel: body.channel,
    account: body.account,
    externalId: body.externalId ?? derivedExternalId(body),
    direction: body.direction,
    occurredAt: new Date(body.occurredAt),
    party: { ...(p.name ? { name: p.name } : {}), identities, hints: [] },
    ...(body.threadKey ? { threadKey: body.threadKey } : {}),
    ...(body.subject !== undefined ? { subject: body.subject } : {}),
    ...(body.text !== undefined ? { text: body.text } : {}),
    ...(Object.keys(signals).length > 0 ? { signals } : {}),
  };
  return body.call ? { ...base, kind: 'call', call: body.call } : { ...base, kind: 'message' };
}

function isMessenger(channel: string): channel is MessengerIdentityKind {
  return (MESSENGERS as readonly string[]).includes(channel);
}

/** A retried body without an id must dedup: the id is a hash of the body's content. */
function derivedExternalId(body: InboundApiBody): string {
  return `sha256:${createHash('sha256').update(canonicalJson(body)).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}
