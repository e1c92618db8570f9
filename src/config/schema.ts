import { z } from 'zod';
import { CHANNELS } from '../channels/index.js';
import { crmSchema, outboxSchema, webhooksSchema } from './crm.js';
import { checkRouting, managerRoutingFields, routingSchema, teamRoutingFields } from './routing.js';
import { checkSla, slaSchema } from './sla.js';

const login = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'a login: letters, digits, dot, dash, underscore');

type ChannelDefinitions = (typeof CHANNELS)[number];
type SectionOf<D> = D extends { config: { key: infer K extends string; schema: infer S } } ? [K, S] : never;
type Sections = SectionOf<ChannelDefinitions>;
/** Sections at the top level of the file (`email`, `telephony`). */
type TopSections = { [P in Sections as P[0] extends `channels.${string}` ? never : P[0]]: P[1] };
/** Sections under `channels:` (a definition's key `channels.vk` is `channels: { vk: … }`). */
type NestedSections = { [P in Sections as P[0] extends `channels.${infer N}` ? N : never]: P[1] };

const channelSections = (() => {
  const top: Record<string, z.ZodType> = {};
  const nested: Record<string, z.ZodType> = {};
  for (const d of CHANNELS as readonly { config?: { key: string; schema: z.ZodType } }[]) {
    if (!d.config) continue;
    const { key, schema } = d.config;
    if (key.startsWith('channels.')) nested[key.slice('channels.'.length)] = schema;
    else top[key] = schema;
  }
  return { top: top as TopSections, nested: nested as NestedSections };
})();

/**
 * The one configuration schema. Every setting says why it exists; cross-field checks live in superRefine.
 * Values may reference environment variables as `${NAME}` (resolved before validation, see load.ts).
 */
export const configSchema = z
  .object({
    server: z
      .object({
        /** Overridden by PORT. */
        port: z.number().int().min(0).max(65535).default(8080),
        /** Loopback by default: put a reverse proxy with TLS in front for anything public. */
        host: z.string().default('127.0.0.1'),
        /** Largest request body accepted (bytes); larger ones get 413 before they are read. */
        bodyLimitBytes: z.number().int().positive().default(1_048_576),
        /** Base URL of the web UI, used in links sent to people (alerts). */
        publicUrl: z.url().default('http://127.0.0.1:8080'),
      })
      .prefault({}),
    api: z
      .object({
        /** Bearer tokens for /api/v1. The name appears in the audit trail as the actor. */
        tokens: z
          .array(z.object({ name: login, token: z.string().min(16, 'at least 16 characters') }))
          .default([]),
      })
      .prefault({}),
    company: z
      .object({
        /** Our own numbers: never a client's identity (PBX lines, managers' mobiles). */
        phones: z.array(z.string()).default([]),
        /** Our own addresses and domains: mail from them never identifies a client. */
        emails: z.array(z.string()).default([]),
        domains: z.array(z.string()).default([]),
        /** Region assumed for numbers written without a country code. */
        defaultCountry: z
          .string()
          .regex(/^[A-Z]{2}$/)
          .default('RU'),
      })
      .prefault({}),
    managers: z
      .array(
        z.object({
          login,
          name: z.string().min(1),
          email: z.email().optional(),
          /** The manager's login on the PBX, for call routing. */
          pbxLogin: z.string().optional(),
          telegramChatId: z.union([z.string(), z.number()]).optional(),
          active: z.boolean().default(true),
          /** What the web app lets the person do: a manager works their team's leads; a supervisor (also any
           * team's `supervisor`) sees the teams they lead; an admin sees everything. */
          role: z.enum(['manager', 'supervisor', 'admin']).default('manager'),
          /** scrypt hash for signing in to the web app (`npm run user:password -- <login>`); absent: no sign-in. */
          password: z
            .string()
            .regex(
              /^scrypt\$\d+\$\d+\$\d+\$[^$]+\$[^$]+$/,
              'a hash made by `npm run user:password -- <login>`',
            )
            .optional(),
          ...managerRoutingFields,
        }),
      )
      .default([]),
    teams: z
      .array(
        z.object({
          id: login,
          name: z.string().min(1),
          supervisor: login.optional(),
          members: z.array(login).default([]),
          ...teamRoutingFields,
        }),
      )
      .min(1, 'at least one team'),
    /** Client types, routing rules, numbering plan and the queue assigner: see routing.ts. */
    routing: routingSchema,
    ingest: z
      .object({
        /** A failing event is retried this many times with exponential backoff, then marked dead. */
        maxAttempts: z.number().int().min(1).default(8),
        retryBaseDelayMs: z.number().int().positive().default(5_000),
        /** How often the background worker looks for events a crash or a failure left pending. */
        replayIntervalMs: z.number().int().positive().default(10_000),
        /** Events younger than this are left to the request that stored them. */
        replayGraceMs: z.number().int().nonnegative().default(30_000),
      })
      .prefault({}),
    /** Alerts about new leads nobody has taken into work: see sla.ts. */
    sla: slaSchema,
    /** CRM connectors (Bitrix24): see crm.ts and docs/crm.md. */
    crm: crmSchema,
    /** Signed outbound webhooks for any CRM, fed by the outbox. */
    webhooks: webhooksSchema,
    outbox: outboxSchema,
    /**
     * Each channel owns its section's schema (see its folder): `email:` (IMAP/SMTP, src/channels/email),
     * `telephony:` (MegaFon, Mango: src/telephony), and new channels under `channels.<name>:`.
     */
    ...channelSections.top,
    channels: z.object(channelSections.nested).prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const managers = new Set<string>();
    cfg.managers.forEach((m, i) => {
      if (managers.has(m.login))
        ctx.addIssue({
          code: 'custom',
          path: ['managers', i, 'login'],
          message: `duplicate manager "${m.login}"`,
        });
      managers.add(m.login);
    });
    const teams = new Set<string>();
    cfg.teams.forEach((t, i) => {
      if (teams.has(t.id))
        ctx.addIssue({ code: 'custom', path: ['teams', i, 'id'], message: `duplicate team "${t.id}"` });
      teams.add(t.id);
      t.members.forEach((m, j) => {
        if (!managers.has(m))
          ctx.addIssue({
            code: 'custom',
            path: ['teams', i, 'members', j],
            message: `unknown manager "${m}"`,
          });
      });
      if (t.supervisor && !managers.has(t.supervisor))
        ctx.addIssue({
          code: 'custom',
          path: ['teams', i, 'supervisor'],
          message: `unknown manager "${t.supervisor}"`,
        });
    });
    if (!teams.has(cfg.routing.fallbackTeam))
      ctx.addIssue({
        code: 'custom',
        path: ['routing', 'fallbackTeam'],
        message: `unknown team "${cfg.routing.fallbackTeam}"`,
      });
    for (const issue of checkRouting(cfg)) ctx.addIssue({ code: 'custom', ...issue });
    for (const issue of checkSla(cfg)) ctx.addIssue({ code: 'custom', ...issue });
    const hooks = new Set<string>();
    cfg.webhooks.forEach((h, i) => {
      const name = h.name ?? h.url;
      if (hooks.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', i, 'name'],
          message: `duplicate webhook "${name}"`,
        });
      hooks.add(name);
    });
    for (const [id, login] of Object.entries(cfg.crm.bitrix24?.users ?? {}))
      if (!managers.has(login))
        ctx.addIssue({
          code: 'custom',
          path: ['crm', 'bitrix24', 'users', id],
          message: `unknown manager "${login}"`,
        });
    const tokens = new Set<string>();
    cfg.api.tokens.forEach((t, i) => {
      if (tokens.has(t.token))
        ctx.addIssue({ code: 'custom', path: ['api', 'tokens', i, 'token'], message: 'duplicate token' });
      tokens.add(t.token);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
