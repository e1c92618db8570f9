import { z } from 'zod';
import { CHANNEL_KINDS } from '../core/communication.js';
import { FEDERAL_DISTRICTS, type FederalDistrictCode, isValidRegionId } from '../core/regions.js';
import { parseWorkingHours, WEEKDAYS, WorkingHoursError } from '../core/working-hours.js';

const ref = z.string().min(1).max(64);
const FEDERAL_DISTRICT_CODES = Object.keys(FEDERAL_DISTRICTS) as [
  FederalDistrictCode,
  ...FederalDistrictCode[],
];

/** The official open-data location of the numbering plan files (ABC-3xx.csv … DEF-9xx.csv). */
export const OFFICIAL_NUMBERING_PLAN_URL = 'https://opendata.digital.gov.ru/downloads/';
/** The publisher answers 403 without a browser-like User-Agent. */
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

/** Routing settings of a manager (added to each `managers[]` entry). */
export const managerRoutingFields = {
  /** Max open leads for this manager; overrides the team's `capacity`. */
  capacity: z.number().int().positive().optional(),
};

const weeklyHours = z
  .object(Object.fromEntries(WEEKDAYS.map((d) => [d, z.array(z.string()).optional()])))
  .strict();

/** Routing settings of a team (added to each `teams[]` entry). */
export const teamRoutingFields = {
  /** IANA zone the working hours are written in (the office's zone, not the client's). */
  timeZone: z.string().default('Europe/Moscow'),
  /** Periods per weekday, e.g. `mon: ["09:00-13:00", "14:00-18:00"]`; a day left out is a day off. Absent: 24/7. */
  hours: weeklyHours.optional(),
  /** Local dates off (YYYY-MM-DD), in addition to `routing.holidays`. */
  holidays: z.array(z.string()).default([]),
  /** Dates with their own periods: a shortened pre-holiday day, a Saturday worked instead of a bridge day. */
  specialDays: z.record(z.string(), z.array(z.string())).default({}),
  /** Max open (new or in progress) leads per member; absent: unlimited. */
  capacity: z.number().int().positive().optional(),
  /** How a lead is given to a member when no sticky manager takes it. */
  assignment: z.enum(['round_robin', 'least_loaded']).default('round_robin'),
  /** The client's own manager first: always (even off shift), only when on shift, or never. */
  sticky: z.enum(['always', 'on_shift', 'off']).default('always'),
  /** Takes leads while no member is on shift; absent: leads wait in the team queue. */
  onCall: ref.optional(),
};

const clientTypeRule = z
  .object({
    /** Name shown in the trace; defaults to `client_type_<n>`. */
    id: z.string().min(1).max(100).optional(),
    type: z.string().min(1).max(50),
    when: z
      .object({
        /** The contact's company has an INN (a legal entity or sole trader). */
        hasInn: z.boolean().optional(),
        /** The company, its INN or the sender's email domain is on `partners`. */
        partnerList: z.boolean().optional(),
        channels: z.array(z.enum(CHANNEL_KINDS)).optional(),
        /** Company-side accounts (a mailbox, an Avito profile, a form id). */
        accounts: z.array(z.string().min(1)).optional(),
        /**
         * Case-insensitive whole words or phrases in the first message (subject or text); a trailing `*` makes a
         * stem (`оптов*` matches «оптовая»), so «опт» never matches «оптимальный».
         */
        keywords: z
          .array(z.string().regex(/^[^*]+\*?$/, 'a word or phrase, optionally ending in * for a stem'))
          .optional(),
      })
      .strict()
      .refine((w) => Object.values(w).some((v) => v !== undefined), 'give at least one condition'),
  })
  .strict();

const routingRule = z
  .object({
    id: z.string().min(1).max(100),
    when: z
      .object({
        clientTypes: z.array(z.string().min(1)).optional(),
        /** ISO 3166-2 codes or macro-territory ids (`RU-MOW+RU-MOS`). A subject also matches its macro. */
        regions: z.array(z.string()).optional(),
        federalDistricts: z.array(z.enum(FEDERAL_DISTRICT_CODES)).optional(),
        /** false: only leads whose region is unknown; true: only leads with a region. */
        regionKnown: z.boolean().optional(),
        channels: z.array(z.enum(CHANNEL_KINDS)).optional(),
        leadKinds: z.array(z.enum(['new', 'repeat'])).optional(),
      })
      .strict()
      .default({}),
    team: ref,
  })
  .strict();

export const routingRulesSchema = z.array(routingRule);
/** `routing.clientTypes` without its default (the simulator must tell "absent" from "empty"). */
export const clientTypesObject = z
  .object({
    /** The type names rules and CRM values may use. */
    types: z.array(z.string().min(1).max(50)).min(1).default(['partner', 'retail']),
    /** Names the web app shows for the types (`partner: Партнёр`); the sample's types have built-in names. */
    labels: z.record(z.string(), z.string().min(1).max(100)).default({}),
    /** Type of a client no rule classifies. */
    default: z.string().min(1).max(50).default('retail'),
    /** Ordered; the first whose conditions all hold wins (after an explicit CRM type). */
    rules: z.array(clientTypeRule).default([]),
    /** The partner list `partnerList` conditions check. */
    partners: z
      .object({
        companies: z.array(z.string()).default([]),
        inns: z.array(z.string().regex(/^(\d{10}|\d{12})$/, 'an INN: 10 or 12 digits')).default([]),
        emailDomains: z.array(z.string()).default([]),
      })
      .prefault({}),
  })
  .strict();
export const clientTypesSchema = clientTypesObject.prefault({});

/** `routing:` in the config file. */
export const routingSchema = z.object({
  /** Where a lead goes when no rule matches. Must name a team. */
  fallbackTeam: ref,
  clientTypes: clientTypesSchema,
  /** Ordered; the first rule whose conditions all hold picks the team. */
  rules: routingRulesSchema.default([]),
  /** Public holidays for every team (YYYY-MM-DD, local to each team). */
  holidays: z.array(z.string()).default([]),
  numberingPlan: z
    .object({
      /** Directory with ABC-3xx/ABC-4xx/ABC-8xx/DEF-9xx.csv. Absent: `<data dir>/numbering-plan`. */
      dir: z.string().optional(),
      /** Where `geo download` fetches the files from (a loopback server in tests). */
      baseUrl: z.url().default(OFFICIAL_NUMBERING_PLAN_URL),
      userAgent: z.string().min(1).default(BROWSER_USER_AGENT),
      /** Re-download and reload every N hours while running; 0 = never (use the `geo download` command). */
      refreshHours: z.number().min(0).default(0),
      /** How often the files' modification times are checked, so `geo:import` takes effect without a restart; 0 = never. */
      checkIntervalMs: z.number().int().min(0).default(30_000),
    })
    .prefault({}),
  assigner: z
    .object({
      /** How often queued leads (no member was on shift or under capacity) are retried. */
      intervalMs: z.number().int().positive().default(30_000),
      /** Leads assigned per tick at most. */
      batchSize: z.number().int().positive().default(100),
    })
    .prefault({}),
});

export type RoutingConfig = z.infer<typeof routingSchema>;
export type RoutingRule = z.infer<typeof routingRule>;
export type ClientTypesConfig = z.infer<typeof clientTypesSchema>;

export interface RoutingIssue {
  path: (string | number)[];
  message: string;
}

interface TeamShape {
  id: string;
  members: string[];
  timeZone: string;
  hours?: Partial<Record<string, string[] | undefined>> | undefined;
  holidays: string[];
  specialDays: Record<string, string[]>;
  onCall?: string | undefined;
}

/** Checks the rules against known teams, regions and client types. Used at startup and by the simulator. */
export function checkRoutingRules(
  rules: readonly RoutingRule[],
  known: { teams: ReadonlySet<string>; types: readonly string[] },
  path: (string | number)[] = ['routing', 'rules'],
): RoutingIssue[] {
  const issues: RoutingIssue[] = [];
  const ids = new Set<string>();
  rules.forEach((rule, i) => {
    if (ids.has(rule.id)) issues.push({ path: [...path, i, 'id'], message: `duplicate rule "${rule.id}"` });
    ids.add(rule.id);
    if (!known.teams.has(rule.team))
      issues.push({ path: [...path, i, 'team'], message: `unknown team "${rule.team}"` });
    rule.when.regions?.forEach((r, j) => {
      if (!isValidRegionId(r))
        issues.push({
          path: [...path, i, 'when', 'regions', j],
          message: `unknown region "${r}": an ISO 3166-2 code such as RU-TA or a macro-territory such as RU-MOW+RU-MOS`,
        });
    });
    rule.when.clientTypes?.forEach((t, j) => {
      if (!known.types.includes(t))
        issues.push({
          path: [...path, i, 'when', 'clientTypes', j],
          message: `unknown client type "${t}" (routing.clientTypes.types: ${known.types.join(', ')})`,
        });
    });
  });
  return issues;
}

/** Cross-field checks of the routing settings; called from the config schema's superRefine. */
export function checkRouting(cfg: {
  managers: { login: string; active: boolean }[];
  teams: TeamShape[];
  routing: RoutingConfig;
}): RoutingIssue[] {
  const issues: RoutingIssue[] = [];
  const managers = new Set(cfg.managers.map((m) => m.login));
  const teams = new Set(cfg.teams.map((t) => t.id));
  const { clientTypes } = cfg.routing;
  if (!clientTypes.types.includes(clientTypes.default))
    issues.push({
      path: ['routing', 'clientTypes', 'default'],
      message: `unknown client type "${clientTypes.default}"`,
    });
  clientTypes.rules.forEach((r, i) => {
    if (!clientTypes.types.includes(r.type))
      issues.push({
        path: ['routing', 'clientTypes', 'rules', i, 'type'],
        message: `unknown client type "${r.type}"`,
      });
  });
  issues.push(...checkRoutingRules(cfg.routing.rules, { teams, types: clientTypes.types }));
  for (const [i, date] of cfg.routing.holidays.entries()) {
    try {
      parseWorkingHours({ timeZone: 'UTC', weekly: {}, holidays: [date] });
    } catch (err) {
      issues.push({
        path: ['routing', 'holidays', i],
        message: (err as Error).message.replace(/^[^:]*: /, ''),
      });
    }
  }
  cfg.teams.forEach((t, i) => {
    if (t.onCall && !managers.has(t.onCall))
      issues.push({ path: ['teams', i, 'onCall'], message: `unknown manager "${t.onCall}"` });
    try {
      parseWorkingHours(teamHoursInput(t, []));
    } catch (err) {
      if (!(err instanceof WorkingHoursError)) throw err;
      const [head, ...rest] = err.path;
      const path = head === 'weekly' ? ['hours', ...rest] : err.path;
      issues.push({ path: ['teams', i, ...path], message: err.message.slice(err.message.indexOf(': ') + 2) });
    }
  });
  return issues;
}

/** The working-hours input of a team (24/7 when it has no `hours`). */
export function teamHoursInput(t: TeamShape, globalHolidays: readonly string[]) {
  const allDay = ['00:00-24:00'];
  const weekly = t.hours
    ? (t.hours as Partial<Record<(typeof WEEKDAYS)[number], string[]>>)
    : Object.fromEntries(WEEKDAYS.map((d) => [d, allDay]));
  return {
    timeZone: t.timeZone,
    weekly,
    holidays: t.hours ? [...globalHolidays, ...t.holidays] : t.holidays,
    specialDays: t.specialDays,
  };
}
