import { z } from 'zod';
import { parseDuration } from '../core/duration.js';
import { isValidTimeZone } from '../core/working-hours.js';

/** `2h`, `90m`, `1h30m`, `1d`: parsed to milliseconds. */
const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration like 2h, 90m, 1h30m, 1d` });
    return z.NEVER;
  }
  return ms;
});

export const DELIVERY_CHANNELS = ['telegram', 'email', 'webhook', 'inapp'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** Who hears about a step: the lead's responsible manager, the team's supervisor, or a named manager. */
const recipient = z
  .string()
  .regex(
    /^(assignee|supervisor|manager:[a-z0-9][a-z0-9._-]{0,63})$/i,
    'assignee, supervisor or manager:<login>',
  );

const step = z
  .object({
    /** Stable name: a step that fired for a lead is never fired again, so renaming it re-arms it. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, dash, underscore'),
    /** Counted from the client's first contact, on the policy's clock. */
    after: duration,
    to: z.array(recipient).min(1),
    /** Absent: every configured channel. The webhook gets one call per step whatever the recipients. */
    channels: z.array(z.enum(DELIVERY_CHANNELS)).min(1).optional(),
    /** Repeat the step every so often until the lead is handled. */
    repeatEvery: duration.optional(),
    /** Stop repeating after this many repeats (the first firing not counted). Absent: until handled. */
    maxRepeats: z.number().int().min(0).optional(),
  })
  .strict();

const policyFields = {
  /** A lead still new this long after first contact is a breach (the summary counts these). */
  threshold: duration.optional(),
  /** wall: every hour counts; working_hours: only the team's working hours count. */
  clock: z.enum(['wall', 'working_hours']).optional(),
  /** The escalation ladder. Absent: one step `supervisor` at the threshold, to the team's supervisor. */
  steps: z.array(step).min(1).optional(),
};

const telegram = z
  .object({
    /** Bot token from @BotFather (secret: use `${ENV}`). */
    token: z.string().min(10),
    /** The Bot API root; a recording server on loopback in tests. */
    apiRoot: z.url().default('https://api.telegram.org'),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

const email = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    user: z.string().optional(),
    password: z.string().optional(),
    from: z.string().min(3),
    timeoutMs: z.number().int().positive().default(15_000),
  })
  .strict();

const webhook = z
  .object({
    url: z.url(),
    /** HMAC-SHA256 key; the receiver checks X-Switchboard-Signature: sha256=<hex of the body>. */
    secret: z.string().min(16, 'at least 16 characters'),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

/** `sla:` in the config file: alerts about new leads nobody has taken into work. */
export const slaSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Zone of "today" in the summary (breaches today). */
    timeZone: z.string().default('Europe/Moscow'),
    /** The policy of every team without its own; its unset fields default to 2h, wall clock, one step. */
    default: z.object(policyFields).strict().prefault({}),
    /** Per-team overrides by team id; unset fields come from `default`. */
    teams: z.record(z.string(), z.object(policyFields).strict()).default({}),
    channels: z
      .object({
        telegram: telegram.optional(),
        email: email.optional(),
        webhook: webhook.optional(),
        /** Stored notifications for the web inbox (GET /api/v1/notifications). */
        inapp: z
          .object({ enabled: z.boolean().default(true) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    scanner: z
      .object({
        /** How often due steps are looked for and deliveries are attempted. */
        intervalMs: z.number().int().positive().default(15_000),
        batchSize: z.number().int().positive().default(200),
        /** A delivery claimed but not confirmed within this long is claimed again (its sender died). */
        lease: duration.prefault('5m'),
        /** A failing delivery is retried this many times with exponential backoff, then marked failed. */
        maxAttempts: z.number().int().min(1).default(8),
        retryBase: duration.prefault('30s'),
        retryMax: duration.prefault('1h'),
        /** Leads first contacted longer ago than this are not alerted (no flood when SLA is first enabled). */
        lookback: duration.prefault('14d'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type SlaConfig = z.infer<typeof slaSchema>;
export type SlaStepConfig = z.infer<typeof step>;

interface ShapeForChecks {
  sla: SlaConfig;
  managers: { login: string }[];
  teams: { id: string; hours?: unknown }[];
}

/** Cross-field checks for the `sla` section (called from the config schema's superRefine). */
export function checkSla(cfg: ShapeForChecks): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const managers = new Set(cfg.managers.map((m) => m.login));
  const teams = new Set(cfg.teams.map((t) => t.id));
  const policies: [(string | number)[], z.infer<z.ZodObject<typeof policyFields>>][] = [
    [['sla', 'default'], cfg.sla.default],
    ...Object.entries(cfg.sla.teams).map(
      ([id, p]) => [['sla', 'teams', id], p] as [(string | number)[], typeof p],
    ),
  ];
  for (const id of Object.keys(cfg.sla.teams))
    if (!teams.has(id)) issues.push({ path: ['sla', 'teams', id], message: `unknown team "${id}"` });
  cfg.teams.forEach((t, i) => {
    const clock = cfg.sla.teams[t.id]?.clock ?? cfg.sla.default.clock;
    if (clock === 'working_hours' && !t.hours)
      issues.push({
        path: ['teams', i, 'hours'],
        message: `team "${t.id}" counts SLA time in working hours: give its hours (without them every hour counts)`,
      });
  });
  for (const [path, policy] of policies) {
    const ids = new Set<string>();
    (policy.steps ?? []).forEach((s, i) => {
      if (ids.has(s.id))
        issues.push({ path: [...path, 'steps', i, 'id'], message: `duplicate step "${s.id}"` });
      ids.add(s.id);
      s.to.forEach((r, j) => {
        const login = r.startsWith('manager:') ? r.slice('manager:'.length) : undefined;
        if (login !== undefined && !managers.has(login))
          issues.push({ path: [...path, 'steps', i, 'to', j], message: `unknown manager "${login}"` });
      });
      if (s.maxRepeats !== undefined && s.repeatEvery === undefined)
        issues.push({ path: [...path, 'steps', i, 'maxRepeats'], message: 'maxRepeats needs repeatEvery' });
      for (const ch of s.channels ?? [])
        if (ch === 'inapp' ? !cfg.sla.channels.inapp.enabled : !cfg.sla.channels[ch])
          issues.push({
            path: [...path, 'steps', i, 'channels'],
            message: `channel "${ch}" is not configured under sla.channels`,
          });
    });
  }
  // A send still in flight when its lease expires would be claimed and sent again by another daemon.
  const ch = cfg.sla.channels;
  const slowest = Math.max(ch.telegram?.timeoutMs ?? 0, ch.email?.timeoutMs ?? 0, ch.webhook?.timeoutMs ?? 0);
  if (cfg.sla.scanner.lease < 2 * slowest)
    issues.push({
      path: ['sla', 'scanner', 'lease'],
      message: `must be at least twice the slowest channel timeout (${slowest} ms)`,
    });
  if (!isValidTimeZone(cfg.sla.timeZone))
    issues.push({ path: ['sla', 'timeZone'], message: `unknown time zone "${cfg.sla.timeZone}"` });
  return issues;
}
