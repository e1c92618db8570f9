import { createHash } from 'node:crypto';
import { secretEquals } from '../../channels/webhook/verify.js';

/** sign = sha256(vpbx_api_key + json + vpbx_api_salt), lowercase hex, over the json string exactly as sent. */
export function mangoSign(apiKey: string, json: string, salt: string): string {
  return createHash('sha256')
    .update(apiKey + json + salt, 'utf8')
    .digest('hex');
}

/** Checks the key and the signature in constant time. `json` must be the raw field, never re-serialized. */
export function verifyMango(
  form: { vpbx_api_key: string; sign: string; json: string },
  account: { apiKey: string; apiSalt: string },
): boolean {
  const keyOk = secretEquals(form.vpbx_api_key, account.apiKey);
  const signOk = secretEquals(form.sign.toLowerCase(), mangoSign(account.apiKey, form.json, account.apiSalt));
  return keyOk && signOk;
}
