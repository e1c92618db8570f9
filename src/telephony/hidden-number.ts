import type { NormalizeResult } from '../channels/channel.js';
import type { CallCommunication } from '../core/communication.js';
import type { TelephonyConfig } from './config.js';

export type AnonymousCallPolicy = TelephonyConfig['anonymousCalls'];

/**
 * The normalize result of one call record under the hidden-number policy. A call whose number is hidden
 * cannot be called back and identifies nobody: under `record` it is kept out of the lead rules (no contact,
 * no lead, no SLA alert) and only recorded in `calls` (recordOnly), and the event notes the skip. Under
 * `lead` it goes through the rules like any call (a new phoneless contact and lead each time).
 */
export function callResult(comm: CallCommunication, policy: AnonymousCallPolicy): NormalizeResult {
  if (!comm.call.numberHidden || policy === 'lead') return { ok: true, communications: [comm] };
  return {
    ok: true,
    communications: [],
    recordOnly: [comm],
    skipped: [
      {
        channel: comm.channel,
        account: comm.account,
        externalId: comm.externalId,
        rule: 'skip_hidden_number',
        reason:
          'the number is hidden: recorded as a call, no contact or lead (telephony.anonymousCalls: record)',
      },
    ],
  };
}
