import { z } from 'zod';
import { errorMessage, SwitchboardError } from '../../core/errors.js';
import type { MegafonAccountConfig } from '../config.js';

/** A PBX user as the PBX describes them, for mapping logins to managers. */
export interface PbxUser {
  login: string;
  name?: string;
  ext?: string;
  email?: string;
}

export interface MegafonClientOptions {
  fetch?: typeof fetch;
  timeoutMs: number;
}

const restUsersSchema = z.looseObject({
  items: z.array(
    z.looseObject({
      login: z.string().min(1),
      name: z.string().nullish(),
      ext: z.union([z.string(), z.number()]).nullish(),
      email: z.string().nullish(),
    }),
  ),
  info: z.looseObject({ total: z.number().optional() }).optional(),
});

const legacyAccountsSchema = z.array(
  z.looseObject({
    name: z.string().min(1),
    realName: z.string().nullish(),
    ext: z.union([z.string(), z.number()]).nullish(),
    email: z.string().nullish(),
  }),
);

function upstream(message: string, retryable = true, cause?: unknown): SwitchboardError {
  return new SwitchboardError('upstream_failed', message, { retryable, ...(cause ? { cause } : {}) });
}

/** The REST API answered "not here": this tenant only speaks the legacy API. */
class RestUnavailable extends Error {}

/**
 * CRM -> PBX commands on a MegaFon / ITooLabs tenant (cloud-pbx-protocols.md §3): the REST CRM API v1 with
 * X-API-KEY, and the legacy crm_api.wcgp as a fallback (commandApi: auto) or on its own (legacy).
 */
export function createMegafonClient(account: MegafonAccountConfig, opts: MegafonClientOptions) {
  const doFetch = opts.fetch ?? fetch;
  const base = account.baseUrl?.replace(/\/+$/, '');
  const key = account.apiKey;

  function configured(): { base: string; key: string } {
    if (!base || !key)
      throw new SwitchboardError(
        'unprocessable',
        `telephony.megafon "${account.account}" has no baseUrl/apiKey: commands are off`,
      );
    return { base, key };
  }

  async function call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs) });
    } catch (err) {
      throw upstream(`PBX unreachable: ${errorMessage(err)}`, true, err);
    }
  }

  async function rest(method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<unknown> {
    const c = configured();
    const res = await call(`${c.base}/crmapi/v1${pathAndQuery}`, {
      method,
      headers: {
        'X-API-KEY': c.key,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if ([404, 405, 501].includes(res.status)) throw new RestUnavailable(`REST API answered ${res.status}`);
    if (!res.ok)
      throw upstream(
        `PBX REST ${pathAndQuery} answered ${res.status}: ${pbxMessage(text)}`,
        res.status >= 500,
      );
    return text === '' ? undefined : parseJson(text);
  }

  async function legacy(cmd: string, params: Record<string, string>): Promise<string> {
    const c = configured();
    const res = await call(`${c.base}/sys/crm_api.wcgp`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ cmd, token: c.key, ...params }).toString(),
      redirect: 'manual',
    });
    const text = await res.text();
    // A 301 means the tenant name in baseUrl is wrong.
    if (!res.ok)
      throw upstream(`PBX legacy ${cmd} answered ${res.status}: ${pbxMessage(text)}`, res.status >= 500);
    return text;
  }

  async function either<T>(viaRest: () => Promise<T>, viaLegacy: () => Promise<T>): Promise<T> {
    if (account.commandApi === 'legacy') return viaLegacy();
    try {
      return await viaRest();
    } catch (err) {
      if (!(err instanceof RestUnavailable)) throw err;
      if (account.commandApi === 'rest') throw upstream(err.message, false);
      return viaLegacy();
    }
  }

  return {
    /**
     * Click-to-call: the PBX rings the employee first, then connects the client. `phone` is sent as digits
     * without `+` (the legacy API rejects it). Returns the PBX call id when the PBX gives one.
     */
    makeCall(user: string, phoneE164: string): Promise<{ callId: string | null; api: 'rest' | 'legacy' }> {
      const phone = phoneE164.replace(/^\+/, '');
      return either<{ callId: string | null; api: 'rest' | 'legacy' }>(
        async () => {
          const reply = (await rest('POST', '/makecall', { user, phone })) as
            | { callid?: unknown }
            | undefined;
          return { callId: typeof reply?.callid === 'string' ? reply.callid : null, api: 'rest' as const };
        },
        async () => {
          const text = (await legacy('makeCall', { user, phone })).trim();
          // Either a bare id, {"CallID": "..."}, or (seen in 2017) nothing at all.
          const parsed = text.startsWith('{') ? (parseJson(text) as { CallID?: unknown }) : undefined;
          const callId = parsed ? (typeof parsed.CallID === 'string' ? parsed.CallID : null) : text || null;
          return { callId, api: 'legacy' as const };
        },
      );
    },

    /** Every PBX user (REST /users, paged; legacy `accounts`). */
    listUsers(): Promise<PbxUser[]> {
      return either(
        async () => {
          const users: PbxUser[] = [];
          for (let page = 0; page < 100; page++) {
            const reply = restUsersSchema.safeParse(
              await rest('GET', `/users?start=${users.length}&limit=100`),
            );
            if (!reply.success) throw upstream('PBX /users reply is not the documented shape', false);
            for (const u of reply.data.items)
              users.push({
                login: u.login,
                ...(u.name ? { name: u.name } : {}),
                ...(u.ext != null ? { ext: String(u.ext) } : {}),
                ...(u.email ? { email: u.email } : {}),
              });
            const total = reply.data.info?.total;
            if (reply.data.items.length === 0 || total === undefined || users.length >= total) break;
          }
          return users;
        },
        async () => {
          const reply = legacyAccountsSchema.safeParse(parseJson(await legacy('accounts', {})));
          if (!reply.success) throw upstream('PBX accounts reply is not the documented shape', false);
          return reply.data.map((u) => ({
            login: u.name,
            ...(u.realName ? { name: u.realName } : {}),
            ...(u.ext != null ? { ext: String(u.ext) } : {}),
            ...(u.email ? { email: u.email } : {}),
          }));
        },
      );
    },

    /** Headers for fetching a recording link: X-API-KEY only towards the tenant itself, never another host. */
    recordingHeaders(url: string): Record<string, string> {
      if (!base || !key) return {};
      try {
        return new URL(url).origin === new URL(base).origin ? { 'X-API-KEY': key } : {};
      } catch {
        return {};
      }
    },
  };
}

export type MegafonClient = ReturnType<typeof createMegafonClient>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw upstream('PBX reply is not JSON', false);
  }
}

/** The PBX's own error text (`{"message": ...}` / `{"error": ...}`), shortened; never the request. */
function pbxMessage(text: string): string {
  try {
    const v = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = v.message ?? v.error;
    if (typeof m === 'string') return m.slice(0, 200);
  } catch {}
  return text.slice(0, 200);
}
