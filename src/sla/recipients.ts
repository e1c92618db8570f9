import type { Config } from '../config/schema.js';
import type { DeliveryChannel } from '../config/sla.js';
import type { SlaStep } from './rules.js';

/** One row to deliver: a manager on a channel, the webhook (`*`), or an undeliverable recipient (`none`). */
export interface PlannedDelivery {
  recipient: string;
  channel: DeliveryChannel | 'none';
  /** Set for `none`: why nobody can be reached (recorded as a failed alert, never dropped silently). */
  error?: string;
}

/** The recipient of a webhook delivery: one call per step occurrence, listing the people in its body. */
export const WEBHOOK_RECIPIENT = '*';

export interface Directory {
  managers: ReadonlyMap<string, { email?: string | undefined; telegramChatId?: string | number | undefined }>;
  supervisors: ReadonlyMap<string, string | undefined>;
  /** Channels configured under sla.channels. */
  channels: ReadonlySet<DeliveryChannel>;
}

export function directoryFrom(config: Pick<Config, 'managers' | 'teams' | 'sla'>): Directory {
  const ch = config.sla.channels;
  const channels = new Set<DeliveryChannel>();
  if (ch.telegram) channels.add('telegram');
  if (ch.email) channels.add('email');
  if (ch.webhook) channels.add('webhook');
  if (ch.inapp.enabled) channels.add('inapp');
  return {
    managers: new Map(config.managers.map((m) => [m.login, m])),
    supervisors: new Map(config.teams.map((t) => [t.id, t.supervisor])),
    channels,
  };
}

/**
 * Who gets a step of a lead, on which channels. Roles resolve against the lead (its responsible manager,
 * its team's supervisor); the same person named twice is alerted once. A role nobody fills, or a person
 * with no address on the step's channels, becomes a `none` row with the reason.
 */
export function planDeliveries(
  step: Pick<SlaStep, 'to' | 'channels'>,
  lead: { team: string | null; responsible: string | null },
  dir: Directory,
): PlannedDelivery[] {
  const channels = (step.channels ?? [...dir.channels]).filter((c) => dir.channels.has(c));
  const out: PlannedDelivery[] = [];
  const people = new Set<string>();
  for (const spec of step.to) {
    const login = resolve(spec, lead, dir);
    if (!login.ok) {
      out.push({ recipient: spec, channel: 'none', error: login.error });
      continue;
    }
    if (people.has(login.value)) continue;
    people.add(login.value);
    const manager = dir.managers.get(login.value);
    const reachable = channels.filter(
      (c) =>
        (c === 'telegram' && manager?.telegramChatId !== undefined) ||
        (c === 'email' && manager?.email !== undefined) ||
        c === 'inapp',
    );
    for (const c of reachable) out.push({ recipient: login.value, channel: c });
    if (reachable.length === 0 && !channels.includes('webhook'))
      out.push({
        recipient: login.value,
        channel: 'none',
        error: `no address for ${login.value} on ${channels.join(', ') || 'any configured channel'}`,
      });
  }
  if (channels.includes('webhook')) out.push({ recipient: WEBHOOK_RECIPIENT, channel: 'webhook' });
  return out;
}

function resolve(
  spec: string,
  lead: { team: string | null; responsible: string | null },
  dir: Directory,
): { ok: true; value: string } | { ok: false; error: string } {
  if (spec === 'assignee')
    return lead.responsible
      ? { ok: true, value: lead.responsible }
      : { ok: false, error: 'the lead has no responsible manager' };
  if (spec === 'supervisor') {
    const sup = lead.team ? dir.supervisors.get(lead.team) : undefined;
    return sup
      ? { ok: true, value: sup }
      : { ok: false, error: `team ${lead.team ?? '(none)'} has no supervisor` };
  }
  return { ok: true, value: spec.slice('manager:'.length) };
}
