import { z } from 'zod';
import { OUTBOX_EVENT_TYPES } from '../crm/outbox/events.js';

/** Signed outbound webhooks for any CRM: each gets the events it lists through the outbox. */
export const webhooksSchema = z
  .array(
    z.object({
      /** Names the subscriber in the outbox and the API (default: the URL). */
      name: z.string().min(1).max(200).optional(),
      url: z.url(),
      /** Signs every body (HMAC-SHA256 over `<timestamp>.<body>`). Secret: never logged. */
      secret: z.string().min(16, 'at least 16 characters'),
      events: z.array(z.enum(OUTBOX_EVENT_TYPES)).min(1),
      timeoutMs: z.number().int().positive().default(10_000),
    }),
  )
  .default([]);

/** The delivery worker of the outbox (webhooks and Bitrix24). */
export const outboxSchema = z
  .object({
    /** How often the worker looks for due rows (it is also woken after each decision). */
    intervalMs: z.number().int().positive().default(5_000),
    /** A claim older than this is taken over: the instance holding it died mid-delivery. */
    leaseMs: z.number().int().positive().default(120_000),
    /** Attempts before a row is dead-lettered (`failed`, retried through the API). */
    maxAttempts: z.number().int().min(1).default(12),
    retryBaseMs: z.number().int().positive().default(10_000),
    retryMaxMs: z.number().int().positive().default(3_600_000),
  })
  .prefault({});

const b24Id = z.string().regex(/^\d+$/, 'a Bitrix24 user ID');

/** The Bitrix24 connector (src/crm/bitrix24). */
export const bitrix24Schema = z.object({
  /** The incoming webhook: https://<portal>/rest/<user>/<code>/ (a secret: it is the credential). */
  webhookUrl: z.url().refine((u) => u.endsWith('/'), 'must end with "/"'),
  /** The outgoing webhook's application token: every event call must carry it. Secret. */
  applicationToken: z.string().min(8),
  /** The `{account}` of POST /webhooks/bitrix24/{account}. */
  account: z
    .string()
    .regex(/^[a-z0-9_-]{1,64}$/i)
    .default('main'),
  /** Incremental pull period (modified records since the cursor minus `overlapMs`). */
  pullIntervalMs: z.number().int().positive().default(300_000),
  /** Re-read window before the cursor: clock skew and records committed late (reference §3: 120 s). */
  overlapMs: z.number().int().nonnegative().default(120_000),
  /** How often the deletion diff (every ID in Bitrix24 against ours) runs: nightly by default. */
  reconcileIntervalMs: z.number().int().positive().default(86_400_000),
  /** Bitrix24's leaky bucket drains 2 requests/s per portal (Enterprise 5). */
  requestsPerSecond: z.number().positive().default(2),
  burst: z.number().int().positive().default(10),
  /** SOURCE_ID of the Bitrix24 lead per Switchboard channel (crm.status.list ENTITY_ID=SOURCE). */
  leadSources: z.record(z.string(), z.string().min(1)).default({}),
  /** SOURCE_ID for a channel not listed. */
  defaultSource: z.string().default('OTHER'),
  /** Bitrix24 user ID -> manager login; users not listed are matched by email (user.get). */
  users: z.record(b24Id, z.string()).default({}),
  timeoutMs: z.number().int().positive().default(60_000),
  /**
   * Which of our channel accounts a Bitrix24 contact's IM ids belong to (Telegram and VK user ids are the
   * same on every bot/community): each becomes an identity on each account listed. Default: every
   * configured account of that channel.
   */
  imAccounts: z
    .object({ telegram: z.array(z.string()).optional(), vk: z.array(z.string()).optional() })
    .prefault({}),
});

/** A minimal amoCRM (Kommo) connector (src/crm/amocrm): contacts and leads read, new leads written as incoming. */
export const amocrmSchema = z.object({
  /** https://<subdomain>.amocrm.ru (Kommo: <subdomain>.kommo.com) */
  baseUrl: z.url().transform((u) => u.replace(/\/+$/, '')),
  /** A long-lived token of a private integration (admin rights, no refresh). Secret. */
  token: z.string().min(16),
  /** Full re-read period of contacts and leads (amoCRM's updated_at filter is marked alpha). */
  pullIntervalMs: z.number().int().positive().default(300_000),
  /** amoCRM allows 7 requests/s; stay under it. */
  requestsPerSecond: z.number().positive().max(7).default(5),
  /** The pipeline new leads go to as incoming (неразобранное); absent: the main pipeline. */
  pipelineId: z.number().int().positive().optional(),
  /** `source_name` of the incoming leads Switchboard creates. */
  sourceName: z.string().min(1).default('Switchboard'),
  timeoutMs: z.number().int().positive().default(30_000),
});

export const crmSchema = z
  .object({ bitrix24: bitrix24Schema.optional(), amocrm: amocrmSchema.optional() })
  .prefault({});

export type Bitrix24Config = z.infer<typeof bitrix24Schema>;
export type AmocrmConfig = z.infer<typeof amocrmSchema>;
export type WebhooksConfig = z.infer<typeof webhooksSchema>;
