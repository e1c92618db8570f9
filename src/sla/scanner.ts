import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Sql } from 'postgres';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { type CalendarResolver, wallOnly } from './calendar.js';
import { createEmailSender, type EmailSender } from './channels/email.js';
import { createTelegramSender, type TelegramSender } from './channels/telegram.js';
import { createWebhookSender, type WebhookSender } from './channels/webhook.js';
import { type DeliveryOutcome, deliver } from './deliver.js';
import { resolvePolicies } from './policy.js';
import { directoryFrom, planDeliveries } from './recipients.js';
import { dueSteps, earliestStepMs } from './rules.js';
import {
  cancelHandled,
  claimDue,
  firedSteps,
  fireSteps,
  leadsBeyondLookback,
  newLeadsPage,
  type StepOccurrence,
} from './store.js';

export interface SlaSenders {
  telegram?: TelegramSender;
  email?: EmailSender;
  webhook?: WebhookSender;
}

export interface SlaScannerOptions {
  sql: Sql;
  config: Config;
  clock: Clock;
  log: Logger;
  /** The calendar of a team for a policy's clock. Default: the wall clock for every team. */
  calendars?: CalendarResolver;
  /** Default: built from `sla.channels`. */
  senders?: SlaSenders;
  /** Names this daemon in claims; unique per process by default. */
  instanceId?: string;
  /** Called per settled delivery (metrics). */
  onOutcome?: (channel: string, outcome: DeliveryOutcome) => void;
  /** Called each pass with the number of new leads older than the lookback (metrics). */
  onBeyondLookback?: (count: number) => void;
}

export interface ScanResult {
  fired: number;
  cancelled: number;
  outcomes: Record<DeliveryOutcome, number>;
  /** New leads created before the lookback window: no longer alerted, reported instead. */
  beyondLookback: number;
}

export function sendersFromConfig(config: Config): SlaSenders {
  const ch = config.sla.channels;
  return {
    ...(ch.telegram ? { telegram: createTelegramSender(ch.telegram) } : {}),
    ...(ch.email ? { email: createEmailSender(ch.email) } : {}),
    ...(ch.webhook ? { webhook: createWebhookSender(ch.webhook) } : {}),
  };
}

/**
 * The SLA worker. Each pass: (1) fire the steps that became due for leads still `new` (derived from the
 * database, so a restart loses nothing), (2) cancel deliveries of leads handled meanwhile, (3) claim due
 * deliveries with SKIP LOCKED and send them. Several daemons may run it on one database.
 */
export function createSlaScanner(opts: SlaScannerOptions) {
  const { sql, config, clock, log } = opts;
  const sla = config.sla;
  const instance = opts.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const policies = resolvePolicies(config);
  const calendars = opts.calendars ?? wallOnly;
  const directory = directoryFrom(config);
  const senders = opts.senders ?? sendersFromConfig(config);
  const earliest = earliestStepMs(policies.all());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopping = false;
  let reportedBeyond = 0;

  /** Fires every step occurrence due at `now` that has not fired yet. Returns how many fired. */
  async function fireDue(now: Date): Promise<number> {
    let fired = 0;
    let after: { at: Date; id: string } | undefined;
    for (;;) {
      const leads = await newLeadsPage(sql, {
        since: new Date(now.getTime() - sla.scanner.lookback),
        before: new Date(now.getTime() - earliest),
        limit: sla.scanner.batchSize,
        ...(after ? { after } : {}),
      });
      const done = await firedSteps(
        sql,
        leads.map((l) => l.id),
      );
      const occurrences: StepOccurrence[] = [];
      for (const lead of leads) {
        const policy = policies.policyFor(lead.team);
        const calendar = calendars(lead.team, policy.clock);
        for (const due of dueSteps(policy, lead, now, calendar)) {
          if ((done.get(lead.id)?.get(due.stepId) ?? -1) >= due.repeatNo) continue;
          const step = policy.steps.find((s) => s.id === due.stepId)!;
          occurrences.push({
            leadId: lead.id,
            team: lead.team,
            deliveries: planDeliveries(step, lead, directory),
            ...due,
          });
        }
      }
      for (const o of await fireSteps(sql, now, occurrences)) {
        fired++;
        log.info(
          { leadId: o.leadId, step: o.stepId, repeat: o.repeatNo, deliveries: o.deliveries.length },
          'sla step fired',
        );
        for (const d of o.deliveries)
          if (d.channel === 'none')
            log.warn(
              { leadId: o.leadId, step: o.stepId, recipient: d.recipient },
              `sla alert undeliverable: ${d.error}`,
            );
      }
      const last = leads.at(-1);
      if (!last || leads.length < sla.scanner.batchSize || stopping) break;
      after = { at: last.createdAt, id: last.id };
    }
    return fired;
  }

  async function deliverDue(outcomes: ScanResult['outcomes']): Promise<void> {
    for (;;) {
      const claimed = await claimDue(sql, {
        instance,
        now: clock(),
        leaseMs: sla.scanner.lease,
        limit: sla.scanner.batchSize,
      });
      for (const row of claimed) {
        const outcome = await deliver(row, {
          sql,
          config,
          clock,
          log,
          instance,
          senders,
          directory,
        });
        outcomes[outcome]++;
        opts.onOutcome?.(row.channel, outcome);
      }
      if (claimed.length < sla.scanner.batchSize || stopping) return;
    }
  }

  async function runOnce(): Promise<ScanResult> {
    const outcomes: ScanResult['outcomes'] = { sent: 0, retry: 0, failed: 0, cancelled: 0, lost: 0 };
    const fired = await fireDue(clock());
    const cancelled = await cancelHandled(sql, clock());
    await deliverDue(outcomes);
    const beyond = await leadsBeyondLookback(sql, new Date(clock().getTime() - sla.scanner.lookback));
    opts.onBeyondLookback?.(beyond.count);
    // Never silent: said again whenever the number changes (lead ids only, no personal data).
    if (beyond.count !== reportedBeyond && beyond.count > 0)
      log.warn(
        { leads: beyond.count, oldest: beyond.oldest, lookback: sla.scanner.lookback },
        'new leads older than sla.scanner.lookback are no longer alerted: take them into work or close them',
      );
    reportedBeyond = beyond.count;
    return { fired, cancelled, outcomes, beyondLookback: beyond.count };
  }

  function tick(): void {
    if (stopping || running) return;
    running = runOnce()
      .catch((err) => log.error({ err: errorMessage(err) }, 'sla pass failed'))
      .finally(() => {
        running = undefined;
      });
  }

  return {
    instance,
    runOnce,
    /** Only the first half of a pass: records the steps due at `now` and their deliveries; sends nothing. */
    fireDue,
    /** Runs a pass now (not awaited: sending must not delay startup), then every `intervalMs`. */
    start(): void {
      stopping = false;
      timer = setInterval(tick, sla.scanner.intervalMs);
      timer.unref();
      tick();
    },
    async stop(): Promise<void> {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
      senders.email?.close();
    },
  };
}

export type SlaScanner = ReturnType<typeof createSlaScanner>;
