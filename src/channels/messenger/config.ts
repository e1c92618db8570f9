import { z } from 'zod';

/** Settings Telegram and MAX accounts share: the account label, how updates arrive, backoff, the phone ask. */
export const accountLabel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'a label: letters, digits, dot, dash, underscore');

/** The webhook secret both providers accept: letters, digits, `_` and `-`. */
export const webhookSecret = (min: number) =>
  z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${min},256}$`), `${min}–256 characters: A-Z a-z 0-9 _ -`);

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

/** Cross-field checks for a list of messenger accounts. */
export function checkAccounts(
  accounts: { account: string; transport: string; secret?: string | undefined }[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  accounts.forEach((a, i) => {
    if (seen.has(a.account))
      ctx.addIssue({ code: 'custom', path: [i, 'account'], message: `duplicate account "${a.account}"` });
    seen.add(a.account);
    if (a.transport === 'webhook' && !a.secret)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'secret'],
        message: 'a webhook account needs a secret (the header the provider sends is checked against it)',
      });
  });
}
