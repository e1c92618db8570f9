import { z } from 'zod';

const label = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'a label: letters, digits, dot, dash, underscore');

/** implicit: TLS from the first byte (993/465); starttls: upgrade required; none: loopback/test servers only. */
const tls = z.enum(['implicit', 'starttls', 'none']);

const smtpSchema = z.object({
  host: z.string().min(1),
  /** 465 for implicit TLS, 587 for STARTTLS. */
  port: z.number().int().min(1).max(65535).default(465),
  tls: tls.default('implicit'),
  /** Absent: the mailbox's IMAP login is used. */
  user: z.string().optional(),
  /** A secret: reference it as `${ENV}`. Absent: the mailbox's IMAP password. */
  password: z.string().optional(),
});

const mailboxSchema = z.object({
  /** Names the mailbox in logs, metrics and /readyz, and is the channel account of its messages. */
  label,
  /** The address clients write to. Replies go out From it; mail from it is ours, never a lead. */
  address: z.email(),
  /** Display name on replies ("ООО Мебель-Фабрика, отдел продаж"). */
  fromName: z.string().optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(993),
  tls: tls.default('implicit'),
  user: z.string().min(1),
  /** A secret: reference it as `${ENV}` so it stays out of the file. */
  password: z.string().min(1),
  /** Folders to watch; each gets its own connection (IDLE works on one selected folder). */
  folders: z.array(z.string().min(1)).min(1).default(['INBOX']),
  /** First connection only: process mail already in the folders (true) or only mail arriving later. */
  backfill: z.boolean().default(false),
  /** Where replies are sent from. Absent: replies on this mailbox's conversations are refused (422). */
  smtp: smtpSchema.optional(),
});

/** The email channel: IMAP mailboxes watched for requests, SMTP for managers' replies. */
export const emailConfigSchema = z
  .object({
    mailboxes: z.array(mailboxSchema).default([]),
    /** Mail from these senders never creates a lead (recorded as skipped). */
    blocklist: z
      .object({
        senders: z.array(z.email()).default([]),
        /** A domain blocks its subdomains too. */
        domains: z.array(z.string().min(1)).default([]),
      })
      .prefault({}),
    attachments: z
      .object({
        /** Attachments up to this size are saved under the data directory; larger ones keep metadata only. */
        maxBytes: z
          .number()
          .int()
          .nonnegative()
          .default(25 * 1024 * 1024),
      })
      .prefault({}),
    /** Safety sync besides IDLE: some servers miss EXISTS notifications. */
    syncIntervalMs: z.number().int().positive().default(60_000),
    /** IDLE is restarted this often; some servers drop IDLE sessions silently after ~30 min. */
    idleRestartMs: z.number().int().positive().default(300_000),
    /** Reconnect backoff after an error (wrong credentials included): doubles from min to max. */
    reconnect: z
      .object({
        minDelayMs: z.number().int().positive().default(1_000),
        maxDelayMs: z.number().int().positive().default(300_000),
      })
      .prefault({}),
  })
  .prefault({})
  .superRefine((cfg, ctx) => {
    const labels = new Set<string>();
    cfg.mailboxes.forEach((m, i) => {
      if (labels.has(m.label))
        ctx.addIssue({
          code: 'custom',
          path: ['mailboxes', i, 'label'],
          message: `duplicate mailbox "${m.label}"`,
        });
      labels.add(m.label);
      if (new Set(m.folders).size !== m.folders.length)
        ctx.addIssue({ code: 'custom', path: ['mailboxes', i, 'folders'], message: 'duplicate folder' });
    });
    if (cfg.reconnect.minDelayMs > cfg.reconnect.maxDelayMs)
      ctx.addIssue({
        code: 'custom',
        path: ['reconnect', 'minDelayMs'],
        message: 'must not exceed reconnect.maxDelayMs',
      });
  });

export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type MailboxConfig = EmailConfig['mailboxes'][number];
export type TlsMode = z.infer<typeof tls>;
