import type { Sql } from 'postgres';
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { DeliveryError, retryDelayMs } from '../core/delivery-error.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { storeNotification } from './inbox.js';
import { type AlertText, renderAlert } from './message.js';
import type { Directory } from './recipients.js';
import type { SlaSenders } from './scanner.js';
import { type ClaimedDelivery, type LeadForAlert, leadForAlert, settle } from './store.js';

/** lost: the claim expired and another instance owns the row now; this one's outcome was not written. */
export type DeliveryOutcome = 'sent' | 'retry' | 'failed' | 'cancelled' | 'lost';

export interface DeliverDeps {
  sql: Sql;
  config: Config;
  clock: Clock;
  log: Logger;
  instance: string;
  senders: SlaSenders;
  directory: Directory;
}

/**
 * Sends one claimed delivery. The lead is re-read first: handled since the step fired means cancelled,
 * never sent. Failures are retried with exponential backoff (or the provider's retry-after) until
 * `maxAttempts`, then the row is failed with its last error; a permanent error fails it at once.
 */
export async function deliver(row: ClaimedDelivery, deps: DeliverDeps): Promise<DeliveryOutcome> {
  const { sql, instance, clock } = deps;
  const settleAs = async (outcome: Parameters<typeof settle>[4], as: DeliveryOutcome) =>
    (await settle(sql, row.id, instance, clock(), outcome)) ? as : 'lost';

  const lead = await leadForAlert(sql, row.leadId);
  if (lead?.status !== 'new')
    return settleAs({ status: 'cancelled', error: 'lead handled before sending' }, 'cancelled');
  const alert = renderAlert(factsOf(lead, deps.config), clock(), deps.config.server.publicUrl);

  try {
    if (row.channel === 'inapp') {
      // Stored and confirmed in one transaction: exactly once.
      return await sql.begin(async (tx) => {
        await storeNotification(tx, {
          recipient: row.recipient,
          kind: 'sla',
          sourceId: row.id,
          leadId: row.leadId,
          title: alert.subject,
          body: alert.text,
          url: alert.url,
          now: clock(),
        });
        return (await settle(tx, row.id, instance, clock(), { status: 'sent' })) ? 'sent' : 'lost';
      });
    }
    await send(row, lead, alert, deps);
  } catch (err) {
    const retryable = !(err instanceof DeliveryError) || err.retryable;
    const error = errorMessage(err).slice(0, 500);
    const s = deps.config.sla.scanner;
    deps.log.warn(
      { deliveryId: row.id, leadId: row.leadId, channel: row.channel, attempts: row.attempts, retryable },
      'sla delivery attempt failed',
    );
    if (!retryable || row.attempts >= s.maxAttempts) return settleAs({ status: 'failed', error }, 'failed');
    const delay = retryDelayMs(err, row.attempts, s.retryBase, s.retryMax);
    return settleAs(
      { status: 'pending', error, nextAttemptAt: new Date(clock().getTime() + delay) },
      'retry',
    );
  }
  return settleAs({ status: 'sent' }, 'sent');
}

async function send(row: ClaimedDelivery, lead: LeadForAlert, alert: AlertText, deps: DeliverDeps) {
  const manager = deps.directory.managers.get(row.recipient);
  const missing = (what: string) =>
    new DeliveryError(`${row.channel}: ${what} (configuration changed?)`, { retryable: false });
  switch (row.channel) {
    case 'telegram': {
      if (!deps.senders.telegram) throw missing('telegram is not configured');
      if (manager?.telegramChatId === undefined) throw missing(`no telegramChatId for ${row.recipient}`);
      await deps.senders.telegram.send(manager.telegramChatId, alert.text);
      return;
    }
    case 'email': {
      if (!deps.senders.email) throw missing('email is not configured');
      if (!manager?.email) throw missing(`no email for ${row.recipient}`);
      await deps.senders.email.send({
        to: manager.email,
        subject: alert.subject,
        text: alert.text,
        deliveryId: row.id,
        leadId: row.leadId,
      });
      return;
    }
    case 'webhook': {
      if (!deps.senders.webhook) throw missing('the webhook is not configured');
      await deps.senders.webhook.send(
        {
          type: 'sla.alert',
          id: row.id,
          leadId: row.leadId,
          step: row.stepId,
          repeat: row.repeatNo,
          team: lead.team,
          responsible: lead.responsible,
          channel: lead.channel,
          firstContactAt: lead.firstContactAt.toISOString(),
          dueAt: row.dueAt.toISOString(),
          sentAt: deps.clock().toISOString(),
          url: alert.url,
          text: alert.text,
        },
        row.id,
      );
      return;
    }
    case 'inapp':
      return;
    default: {
      const _exhaustive: never = row.channel;
      throw new Error(`unknown channel ${String(_exhaustive)}`);
    }
  }
}

function factsOf(lead: LeadForAlert, config: Config) {
  const team = config.teams.find((t) => t.id === lead.team);
  const responsible = config.managers.find((m) => m.login === lead.responsible);
  return {
    leadId: lead.id,
    channel: lead.channel,
    firstContactAt: lead.firstContactAt,
    teamName: team?.name ?? lead.team,
    responsibleName: responsible?.name ?? lead.responsible,
    clientName: lead.clientName,
    phone: lead.phone,
    email: lead.email,
  };
}
