import type { NormalizeResult } from '../channels/channel.js';
import type { CallCommunication } from '../core/communication.js';
import type { TelephonyConfig } from './config.js';

export type AnonymousCallPolicy = TelephonyConfig['anonymousCalls'];

export interface HiddenNumberOptions {
  anonymousCalls: AnonymousCallPolicy;
  /**
   * Whether a number the PBX sent can be called back (the identity policy: not junk like `000000`, not one of
   * our own numbers). Absent: any number with a digit. A number that cannot is treated as hidden.
   */
  callable?: (raw: string) => boolean;
}

/**
 * The normalize result of one call record under the hidden-number policy. A call whose number is hidden (or
 * cannot be called back) identifies nobody: under `record` it is kept out of the lead rules (no contact, no
 * lead, no SLA alert) and only recorded in `calls` (recordOnly), and the event notes the skip. Under `lead` it
 * goes through the rules like any call (a new phoneless contact and lead each time).
 */
export function callResult(record: CallCommunication, opts: HiddenNumberOptions): NormalizeResult {
  const comm = uncallableAsHidden(record, opts.callable);
  if (!comm.call.numberHidden || opts.anonymousCalls === 'lead') return { ok: true, communications: [comm] };
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

function uncallableAsHidden(
  comm: CallCommunication,
  callable: HiddenNumberOptions['callable'],
): CallCommunication {
  const phone = comm.party.identities.find((i) => i.kind === 'phone');
  if (!phone || !callable || callable(phone.value)) return comm;
  const issue = { field: 'phone', issue: 'not a number that can be called back; treated as hidden' };
  return {
    ...comm,
    party: { ...comm.party, identities: [] },
    call: { ...comm.call, numberHidden: true, parseIssues: [...(comm.call.parseIssues ?? []), issue] },
  };
}
