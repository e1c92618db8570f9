import type { Sql } from 'postgres';
import type { Intake } from '../channels/webhook/intake.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { applyLegEvent } from './call-store.js';
import type { CallLegEvent } from './model.js';
import type { Telephony } from './telephony.js';

/** What a PBX webhook route needs. */
export interface WebhookDeps {
  sql: Sql;
  intake: Intake;
  clock: Clock;
  log: Logger;
  telephony: Telephony;
}

/** Names (never values) of fields a provider sent that we do not know: logged once per process. */
export function unknownFieldLogger(log: Logger, provider: string, known: ReadonlySet<string>) {
  const reported = new Set<string>();
  return (fields: Record<string, unknown>) => {
    for (const name of Object.keys(fields)) {
      if (known.has(name) || reported.has(name) || reported.size > 200) continue;
      reported.add(name);
      log.info({ provider, field: name.slice(0, 64) }, 'PBX sent a field we do not use (tolerated)');
    }
  };
}

/**
 * Applies a live leg event. A failure is logged, never surfaced: live states only feed the UI and the record
 * at hangup is authoritative, so the PBX must not retry (or flag the integration) because of one.
 */
export async function recordLiveEvent(deps: WebhookDeps, leg: CallLegEvent): Promise<void> {
  try {
    await applyLegEvent(deps.sql, leg, deps.telephony.storeDeps, deps.clock());
  } catch (err) {
    deps.log.error(
      { provider: leg.provider, call: leg.callKey, err: errorMessage(err) },
      'live call event lost',
    );
  }
}
