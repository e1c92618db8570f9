import { z } from 'zod';

const accountId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'an account id: letters, digits, dash, underscore');

/** A host name (`acme.megapbx.ru`) or every subdomain of one (`*.megapbx.ru`); no scheme, port or path. */
const hostPattern = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(
    z
      .string()
      .regex(/^(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'a host name, or *.domain for its subdomains'),
  );

/** One MegaFon / ITooLabs tenant (also Gravitel, Дом.ru, Kcell and other white labels). */
export const megafonAccountSchema = z.object({
  /** Our name for the tenant: the webhook is /webhooks/megafon/<account>. */
  account: accountId,
  /** "Ключ для авторизации в вашей CRM": the PBX sends it as crm_token. Secret. */
  crmToken: z.string().min(8, 'at least 8 characters'),
  /** The tenant's address, e.g. https://acme.megapbx.ru (REST at /crmapi/v1, legacy at /sys/crm_api.wcgp). */
  baseUrl: z.url().optional(),
  /** "Ключ для авторизации в облачной АТС": X-API-KEY for REST, token for the legacy API. Secret. */
  apiKey: z.string().min(1).optional(),
  /** Which command API to use: REST CRM API v1, the legacy crm_api.wcgp, or REST with legacy as fallback. */
  commandApi: z.enum(['rest', 'legacy', 'auto']).default('auto'),
  /** Hosts recording links may point to (`*.example.ru` for subdomains). Absent: the host of baseUrl only. */
  recordingHosts: z.array(hostPattern).optional(),
});

/** One Mango Office VPBX. */
export const mangoAccountSchema = z.object({
  /** Our name for the VPBX: Mango is given <publicUrl>/webhooks/mango/<account> as its base. */
  account: accountId,
  /** vpbx_api_key ("Уникальный код вашей АТС"). Secret. */
  apiKey: z.string().min(1),
  /** vpbx_api_salt ("Ключ для создания подписи"). Secret. */
  apiSalt: z.string().min(1),
  /** Mango's command API, used to fetch recordings (queries/recording/post). */
  baseUrl: z.url().default('https://app.mango-office.ru/vpbx'),
  /** Hosts the recording request may be redirected to (`*.mango-office.ru` for subdomains). Absent: baseUrl's host. */
  recordingHosts: z.array(hostPattern).optional(),
});

/** The `telephony` section of the configuration. */
export const telephonySchema = z
  .object({
    /** The caller waits while `contact` runs: past this the PBX is answered {} and dials by its own plan. */
    contactBudgetMs: z.number().int().min(50).max(5_000).default(800),
    /**
     * A call from a hidden number (anonymous, private, empty): `record` keeps it in calls only (nobody can call
     * it back, so no contact, no lead, no SLA alert); `lead` makes a new lead of each one as well.
     */
    anonymousCalls: z.enum(['record', 'lead']).default('record'),
    megafon: z.array(megafonAccountSchema).default([]),
    mango: z.array(mangoAccountSchema).default([]),
    recordings: z
      .object({
        /** Copy recording files into <data dir>/recordings (links expire after about a week). */
        download: z.boolean().default(true),
        /** A failing download is retried this many times with exponential backoff, then marked failed. */
        maxAttempts: z.number().int().min(1).default(8),
        retryBaseDelayMs: z.number().int().positive().default(60_000),
        /** How often the background worker looks for recordings to copy. */
        pollIntervalMs: z.number().int().positive().default(15_000),
        /**
         * A transfer that receives nothing for this long (connecting, waiting for the answer, between two chunks)
         * is abandoned and retried later. There is no limit on the whole transfer: long recordings keep flowing.
         */
        idleTimeoutMs: z.number().int().positive().default(30_000),
        /** Hosts recording links of generic calls (POST /api/v1/inbound, provider api) may point to. */
        allowedHosts: z.array(hostPattern).default([]),
        /**
         * Tests only: let recordings come from loopback and private addresses (the test PBX listens on 127.0.0.1).
         * Off, a link whose host resolves to such an address is refused (no requests into our own network).
         */
        allowPrivateNetworks: z.boolean().default(false),
        /** Larger files are refused. */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(200 * 1024 * 1024),
      })
      .prefault({}),
    /** Timeout of one request to a PBX (click-to-call, user import); recordings use recordings.idleTimeoutMs. */
    requestTimeoutMs: z.number().int().positive().default(10_000),
  })
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    for (const [provider, list] of [
      ['megafon', t.megafon],
      ['mango', t.mango],
    ] as const) {
      list.forEach((a, i) => {
        if (seen.has(`${provider}:${a.account}`))
          ctx.addIssue({
            code: 'custom',
            path: [provider, i, 'account'],
            message: `duplicate account "${a.account}"`,
          });
        seen.add(`${provider}:${a.account}`);
      });
    }
  });

export type TelephonyConfig = z.infer<typeof telephonySchema>;
export type MegafonAccountConfig = z.infer<typeof megafonAccountSchema>;
export type MangoAccountConfig = z.infer<typeof mangoAccountSchema>;

/** The `telephony:` configuration section, shared by the PBX providers' channel definitions. */
export const telephonyConfigSection = { key: 'telephony', schema: telephonySchema.prefault({}) } as const;
