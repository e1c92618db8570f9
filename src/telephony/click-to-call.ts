import type { Config } from '../config/schema.js';
import { UnprocessableError, ValidationError } from '../core/errors.js';
import { type IdentityPolicy, normalizeIdentity } from '../identity/identity.js';
import type { Logger } from '../observability/logger.js';
import type { Telephony } from './telephony.js';

/**
 * Click-to-call (POST /api/v1/calls and the lead page's «Позвонить»): the PBX rings the manager's phone, then
 * connects the client.
 */
export async function clickToCall(
  deps: { telephony: Telephony; policy: IdentityPolicy; config: Config; log: Logger },
  req: { manager: string; phone: string; account?: string | undefined },
) {
  const tel = deps.telephony;
  const accounts = [...tel.megafon.values()];
  const account = req.account
    ? tel.megafon.get(req.account)
    : accounts.length === 1
      ? accounts[0]
      : undefined;
  if (!account)
    throw new ValidationError(
      req.account
        ? `account: unknown MegaFon account "${req.account}"`
        : 'account: required with several PBX accounts',
      [{ field: 'account', message: req.account ? 'unknown' : 'required' }],
    );
  const phone = normalizeIdentity({ kind: 'phone', value: req.phone }, deps.policy);
  if (!phone.ok)
    throw new ValidationError(`phone: ${phone.reason}`, [{ field: 'phone', message: phone.reason }]);
  if (!deps.config.managers.some((m) => m.login === req.manager))
    throw new UnprocessableError(`unknown manager "${req.manager}"`);
  const pbxUser = tel.directory.pbxLoginFor(req.manager);
  if (!pbxUser) throw new UnprocessableError(`manager "${req.manager}" is inactive or has no PBX login`);
  const r = await account.client.makeCall(pbxUser, phone.identity.value);
  deps.log.info(
    { account: account.config.account, manager: req.manager, api: r.api },
    'click-to-call placed',
  );
  return { account: account.config.account, pbxUser, ...r };
}

/** Whether click-to-call can work at all here (exactly one MegaFon account, so no account needs choosing). */
export const canClickToCall = (telephony: Telephony | undefined): boolean => telephony?.megafon.size === 1;
