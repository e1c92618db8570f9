import { randomUUID } from 'node:crypto';

/**
 * A new row id: a UUIDv7 (RFC 9562), whose first 48 bits are the time in milliseconds and the other 74 random.
 * Rows made one after another get ids that sort one after another, so a new row's primary-key entry (and those
 * of the indexes that lead with the id of a row made just before: a new contact's lead, a new conversation's
 * messages) goes onto the index's last page instead of a random one: at a million rows that is a page already
 * in memory, not one read from disk, dirtied and written out again, and logged whole after every checkpoint.
 * Still unguessable (74 random bits). Ids made in the same millisecond are in no particular order: never
 * rely on ids for the order of events.
 *
 * Made from node's randomUUID() (a version 4 UUID from a cached pool of random bytes) with its first 48 bits
 * replaced by the time and its version nibble set to 7: the same layout as uuid_v7() in the database
 * (migration 022). The `uuid` package's v7 draws fresh random bytes from the OS for every id, which cost ~2 %
 * of the daemon's CPU at full ingest.
 */
export function newId(): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
