import type { Sql } from 'postgres';
import { lockCursor, putCursor } from '../../db/repos/email-cursors.js';
import { storeInboundEvent } from '../../ingest/inbound-store.js';
import { emailExternalId } from './headers.js';
import type { EmailEvent } from './payload.js';
import { writeRawFile } from './raw-files.js';

/** Big messages go to a file in `dataDir` instead of the database row (embedded database only). */
export interface RawSpill {
  dataDir: string;
  overBytes: number;
}

export type StoreOutcome =
  /** Stored as a new inbound event: process it. */
  | { status: 'stored'; eventId: string; externalId: string }
  /** The same Message-ID was already stored for this mailbox (a resync, another folder, our own reply). */
  | { status: 'duplicate'; externalId: string }
  /** The cursor is already past this UID: another worker or an earlier run stored it. */
  | { status: 'behind' };

/**
 * Persists one fetched message and advances its folder's cursor in ONE transaction: after a crash the
 * folder resumes right after the last stored UID, and a UID is never stored twice. The raw bytes are kept
 * exactly as fetched (content type message/rfc822); normalization happens later, in the processor.
 */
export async function storeFetchedMessage(
  sql: Sql,
  m: { event: Extract<EmailEvent, { kind: 'received' }>; raw: Uint8Array },
  spill?: RawSpill,
): Promise<StoreOutcome> {
  // Written (and fsynced) before the transaction: a crash leaves at worst an orphan file, never a lost message.
  const rawFile =
    spill && m.raw.byteLength > spill.overBytes ? await writeRawFile(spill.dataDir, m.raw) : undefined;
  const event = rawFile ? { ...m.event, rawFile } : m.event;
  const uidValidity = BigInt(event.uidValidity);
  return sql.begin(async (tx) => {
    const cursor = await lockCursor(tx, event.mailbox, event.folder);
    if (cursor && cursor.uidValidity === uidValidity && cursor.lastUid >= event.uid)
      return { status: 'behind' as const };
    const externalId = emailExternalId(m.raw);
    const [seen] = await tx`
      SELECT 1 FROM inbound_events WHERE source = 'email' AND account = ${event.mailbox} AND external_id = ${externalId}
      LIMIT 1`;
    let eventId: string | undefined;
    if (!seen)
      eventId = await storeInboundEvent(tx, {
        source: 'email',
        account: event.mailbox,
        externalId,
        contentType: 'message/rfc822',
        payload: event,
        ...(rawFile ? {} : { raw: m.raw }),
      });
    await putCursor(tx, event.mailbox, event.folder, { uidValidity, lastUid: event.uid });
    return eventId
      ? { status: 'stored' as const, eventId, externalId }
      : { status: 'duplicate' as const, externalId };
  });
}
