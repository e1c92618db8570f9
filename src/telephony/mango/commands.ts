import type { MangoAccountConfig } from '../config.js';
import { mangoSign } from './sign.js';

/** The queued "url" of a Mango recording: Mango hands out files only through a signed request. */
export const MANGO_RECORDING_PREFIX = 'mango-recording:';

/** The signed `queries/recording/post` request that answers with (a redirect to) the recording file. */
export function mangoRecordingRequest(
  account: MangoAccountConfig,
  recordingId: string,
): { url: string; method: 'POST'; headers: Record<string, string>; body: string } {
  const json = JSON.stringify({ recording_id: recordingId, action: 'download' });
  const body = new URLSearchParams({
    vpbx_api_key: account.apiKey,
    sign: mangoSign(account.apiKey, json, account.apiSalt),
    json,
  });
  return {
    url: `${account.baseUrl.replace(/\/+$/, '')}/queries/recording/post`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  };
}
