import { z } from 'zod';

/** Names the account in webhook URLs, logs, metrics and /readyz; the channel account of its messages. */
export const accountLabel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'a label: letters, digits, dot, dash, underscore');

/** Settings every messenger account has: how patient its provider calls are. */
export const providerCallFields = {
  /** One provider API call gives up after this long. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** A profile/chat lookup before a message is decided; past this the message is decided without it. */
  enrichTimeoutMs: z.number().int().positive().default(1_500),
  /** Profiles and chats are cached this long. */
  cacheTtlMs: z.number().int().positive().default(3_600_000),
  /** Replies refused with a rate limit or a 5xx, or not answered, are retried with exponential backoff. */
  retry: z
    .object({
      attempts: z.number().int().min(1).max(20).default(5),
      baseDelayMs: z.number().int().positive().default(1_000),
      maxDelayMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
};

/** A host a media link may point to: `cdn.example.ru`, or `*.example.ru` for its subdomains. */
const mediaHost = z.string().regex(/^(\*\.)?[a-z0-9.-]+$/i, 'a host name, or *.domain for its subdomains');

/**
 * `media:` of a VK, Avito or Viber account: attachments are copied from the provider's links (which expire)
 * into the database by a background worker (src/channels/messenger/media-downloads.ts). `hosts` defaults to
 * the provider's own CDNs: a link elsewhere is refused, never fetched.
 */
export const mediaSettings = (defaultHosts: readonly string[]) =>
  z
    .object({
      /** Copy photos, files, voice messages and videos of incoming messages. */
      download: z.boolean().default(true),
      /** Larger files are not copied (status `too_large`); the link is kept. */
      maxBytes: z
        .number()
        .int()
        .positive()
        .max(200 * 1024 * 1024)
        .default(20 * 1024 * 1024),
      /** A transfer silent this long (connecting, waiting, between two chunks) is abandoned and retried. */
      idleTimeoutMs: z.number().int().positive().default(30_000),
      /** A failed download is retried this many times in all, with exponential backoff, then `failed`. */
      maxAttempts: z.number().int().min(1).max(20).default(6),
      retryBaseDelayMs: z.number().int().positive().default(30_000),
      /** Hosts media links may point to (and be redirected to). */
      hosts: z.array(mediaHost).default([...defaultHosts]),
      /** Tests only: allow loopback and private addresses (the fake provider listens on 127.0.0.1). */
      allowPrivateNetworks: z.boolean().default(false),
    })
    .prefault({});

export type MediaSettings = z.infer<ReturnType<typeof mediaSettings>>;

/**
 * Every account label of a messenger section used once; `each` adds the section's own checks, issued right
 * after the account's label check.
 */
function checkEachAccount<A extends { account: string }>(
  accounts: readonly A[],
  ctx: z.RefinementCtx,
  each: (a: A, i: number) => void,
): void {
  const seen = new Set<string>();
  accounts.forEach((a, i) => {
    if (seen.has(a.account))
      ctx.addIssue({ code: 'custom', path: [i, 'account'], message: `duplicate account "${a.account}"` });
    seen.add(a.account);
    each(a, i);
  });
}

/** Cross-field checks of the VK, Avito and Viber sections: unique account labels, sane backoff. */
export function checkAccounts(
  accounts: readonly { account: string; retry: { baseDelayMs: number; maxDelayMs: number } }[],
  ctx: z.RefinementCtx,
): void {
  checkEachAccount(accounts, ctx, (a, i) => {
    if (a.retry.baseDelayMs > a.retry.maxDelayMs)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'retry', 'baseDelayMs'],
        message: 'must not exceed retry.maxDelayMs',
      });
  });
}

/** The webhook secret both providers accept: letters, digits, `_` and `-`. */
export const webhookSecret = (min: number) =>
  z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${min},256}$`), `${min}–256 characters: A-Z a-z 0-9 _ -`);

/** Settings Telegram and MAX accounts share: the account label, how updates arrive, backoff, the phone ask. */
export const messengerAccountFields = {
  /** Names the bot in logs, metrics, /readyz and webhook URLs; the channel account of its messages. */
  account: accountLabel,
  /** The bot token, a secret: reference it as `${ENV}`. */
  token: z.string().min(1),
  /** webhook: the provider calls /webhooks/<channel>/<account> (production); polling: for hosts without public HTTPS. */
  transport: z.enum(['webhook', 'polling']).default('webhook'),
  /** Where the webhook is registered by `channels:connect`; default: server.publicUrl + /webhooks/<channel>/<account>. */
  webhookUrl: z.url().optional(),
  /** The first message of a chat is answered with a button that shares the client's phone number. */
  askPhone: z
    .object({
      enabled: z.boolean().default(true),
      text: z
        .string()
        .min(1)
        .default(
          'Здравствуйте! Менеджер скоро ответит. Чтобы мы могли перезвонить, поделитесь номером телефона.',
        ),
      button: z.string().min(1).max(64).default('📱 Отправить номер'),
    })
    .prefault({}),
  polling: z
    .object({
      /** Long-poll wait held by the provider, seconds. */
      timeoutSeconds: z.number().int().min(0).max(90).default(30),
      limit: z.number().int().min(1).max(100).default(100),
      /** Pause after an empty answer (MAX asks for at least 300 ms between polls). */
      idleDelayMs: z.number().int().nonnegative().default(300),
      /** Backoff after a failed poll: doubles from min to max. */
      minDelayMs: z.number().int().positive().default(1_000),
      maxDelayMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  /** A reply that hits the rate limit waits for the provider's retry_after up to this long, then fails (retryable). */
  maxRetryAfterSeconds: z.number().int().nonnegative().default(30),
  /** Outbound API calls give up after this long. */
  timeoutSeconds: z.number().int().positive().default(30),
};

/** Cross-field checks for a list of Telegram/MAX bot accounts: unique labels, a secret for every webhook account. */
export function checkBotAccounts(
  accounts: { account: string; transport: string; secret?: string | undefined }[],
  ctx: z.RefinementCtx,
): void {
  checkEachAccount(accounts, ctx, (a, i) => {
    if (a.transport === 'webhook' && !a.secret)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'secret'],
        message: 'a webhook account needs a secret (the header the provider sends is checked against it)',
      });
  });
}
