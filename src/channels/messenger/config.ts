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

/** Cross-field checks shared by the messenger sections: unique account labels, sane backoff. */
export function checkAccounts(
  accounts: readonly { account: string; retry: { baseDelayMs: number; maxDelayMs: number } }[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  accounts.forEach((a, i) => {
    if (seen.has(a.account))
      ctx.addIssue({ code: 'custom', path: [i, 'account'], message: `duplicate account "${a.account}"` });
    seen.add(a.account);
    if (a.retry.baseDelayMs > a.retry.maxDelayMs)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'retry', 'baseDelayMs'],
        message: 'must not exceed retry.maxDelayMs',
      });
  });
}
