import { z } from 'zod';

const accountId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'an account id: letters, digits, dash, underscore');

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
});

/** The `telephony` section of the configuration. */
export const telephonySchema = z
  .object({
    /** The caller waits while `contact` runs: past this the PBX is answered {} and dials by its own plan. */
    contactBudgetMs: z.number().int().min(50).max(5_000).default(800),
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
        /** Larger files are refused. */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(200 * 1024 * 1024),
      })
      .prefault({}),
    /** Timeout of one request to a PBX (click-to-call, user import, recording download). */
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
