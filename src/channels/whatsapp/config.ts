import { z } from 'zod';

/** LocalAuth's clientId rule (`/^[-_\w]+$/`): the account names the session folder. */
const account = z
  .string()
  .regex(
    /^[A-Za-z0-9][-_A-Za-z0-9]{0,63}$/,
    'letters, digits, dash, underscore (it names the session folder)',
  );

const backoff = z
  .object({
    /** First restart after a browser crash or a logout; doubled on each failure in a row. */
    initialDelayMs: z.number().int().positive().default(5_000),
    /** Restarts never wait longer than this. */
    maxDelayMs: z.number().int().positive().default(300_000),
  })
  .prefault({});

const webAccount = z.object({
  account,
  /** whatsapp-web.js: the company's own number in a headless Chromium on this machine. */
  transport: z.literal('web'),
  /** Debian's Chromium; npm never downloads a browser (.puppeteerrc.cjs). */
  executablePath: z.string().min(1).default('/usr/bin/chromium'),
  /** False only to watch the browser while debugging. */
  headless: z.boolean().default(true),
  /** Messages missed while the client was down are fetched per chat after reconnect, this many at most. */
  catchUpLimit: z.number().int().min(0).max(500).default(50),
  restart: backoff,
});

const gatewayAccount = z.object({
  account,
  /** Green-API: webhook in (`POST /webhooks/whatsapp/<account>`), HTTP out; no browser here. */
  transport: z.literal('gateway'),
  /** Green-API's host for this instance (tests: a loopback fake). */
  apiRoot: z.url().default('https://api.green-api.com'),
  idInstance: z.string().regex(/^\d+$/, 'digits (the instance id)'),
  /** Secret: it is part of every API URL, which is therefore never logged. */
  apiTokenInstance: z.string().min(8),
  /** Secret: the `webhookUrlToken` set in the instance; Green-API sends it in `Authorization`. */
  webhookToken: z.string().min(16, 'at least 16 characters'),
  /** A send answered 429 or 5xx is tried this many times in all, with a growing pause. */
  sendAttempts: z.number().int().min(1).max(10).default(3),
  retryDelayMs: z.number().int().nonnegative().default(1_000),
  /** Per request. */
  timeoutMs: z.number().int().positive().default(15_000),
});

export const whatsappAccountSchema = z.discriminatedUnion('transport', [webAccount, gatewayAccount]);
export type WhatsappAccount = z.infer<typeof whatsappAccountSchema>;
export type WebAccount = z.infer<typeof webAccount>;
export type GatewayAccount = z.infer<typeof gatewayAccount>;

/** `channels.whatsapp`: one entry per company number, each on the whatsapp-web.js or the gateway transport. */
export const whatsappConfigSchema = z
  .array(whatsappAccountSchema)
  .default([])
  .superRefine((accounts, ctx) => {
    const seen = new Set<string>();
    accounts.forEach((a, i) => {
      if (seen.has(a.account))
        ctx.addIssue({ code: 'custom', path: [i, 'account'], message: `duplicate account "${a.account}"` });
      seen.add(a.account);
    });
  });
