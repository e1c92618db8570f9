import type { DeliveryChannel } from '../config/sla.js';
import type { SlaCalendar, SlaClockKind } from './calendar.js';

/** A recipient as configured: a role resolved per lead, or a named manager (`manager:<login>`). */
export type RecipientSpec = string;

export interface SlaStep {
  id: string;
  /** Counted time after the client's first contact. */
  afterMs: number;
  to: readonly RecipientSpec[];
  /** Undefined: every configured channel. */
  channels?: readonly DeliveryChannel[];
  repeatEveryMs?: number;
  maxRepeats?: number;
}

/** The effective policy of one team (config defaults already applied). */
export interface SlaPolicy {
  thresholdMs: number;
  clock: SlaClockKind;
  steps: readonly SlaStep[];
}

/** What the rules need to know about a lead. */
export interface SlaLead {
  status: string;
  firstContactAt: Date;
}

/** One occurrence of a step (repeat 0 is the first firing) that is due at `dueAt`. */
export interface DueStep {
  stepId: string;
  repeatNo: number;
  dueAt: Date;
}

/**
 * Which steps of the policy are due for the lead at `now`. Pure: the caller passes `now` and the lead's
 * calendar. Only a lead still `new` has due steps. A step is due when its counted time since the first
 * contact has elapsed (exactly at the boundary included). For a repeating step only its latest due
 * occurrence is returned: after downtime a recipient gets one alert per step, not the backlog.
 */
export function dueSteps(policy: SlaPolicy, lead: SlaLead, now: Date, calendar: SlaCalendar): DueStep[] {
  if (lead.status !== 'new') return [];
  const due: DueStep[] = [];
  for (const step of policy.steps) {
    const occurrence = latestOccurrence(step, lead.firstContactAt, now, calendar);
    if (occurrence) due.push({ stepId: step.id, ...occurrence });
  }
  return due;
}

function latestOccurrence(
  step: SlaStep,
  start: Date,
  now: Date,
  calendar: SlaCalendar,
): { repeatNo: number; dueAt: Date } | undefined {
  const first = calendar.addTime(start, step.afterMs);
  if (!first || first > now) return undefined;
  if (!step.repeatEveryMs) return { repeatNo: 0, dueAt: first };
  const every = step.repeatEveryMs;
  // elapsed() and addTime() agree up to rounding: start one above the estimate, settle on the last <= now.
  let n = Math.floor((calendar.elapsed(start, now) - step.afterMs) / every) + 1;
  n = Math.max(0, Math.min(n, step.maxRepeats ?? Number.POSITIVE_INFINITY));
  for (; n > 0; n--) {
    const at = calendar.addTime(start, step.afterMs + n * every);
    if (at && at <= now) return { repeatNo: n, dueAt: at };
  }
  return { repeatNo: 0, dueAt: first };
}

/** When the lead breaches the threshold (still new then), on its calendar. */
export function breachAt(policy: SlaPolicy, firstContactAt: Date, calendar: SlaCalendar): Date | undefined {
  return calendar.addTime(firstContactAt, policy.thresholdMs);
}

/** The smallest `after` of all policies: leads younger than this (in wall time) cannot have a due step. */
export function earliestStepMs(policies: Iterable<SlaPolicy>): number {
  let min = Number.POSITIVE_INFINITY;
  for (const p of policies) for (const s of p.steps) min = Math.min(min, s.afterMs);
  return min;
}
