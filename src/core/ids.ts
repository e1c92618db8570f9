import { v7 } from 'uuid';

/**
 * A new row id: a UUIDv7 (RFC 9562), whose first 48 bits are the time in milliseconds and the other 74 random.
 * Rows made one after another get ids that sort one after another, so a new row's primary-key entry (and those
 * of the indexes that lead with the id of a row made just before: a new contact's lead, a new conversation's
 * messages) goes onto the index's last page instead of a random one: at a million rows that is a page already
 * in memory, not one read from disk, dirtied and written out again, and logged whole after every checkpoint.
 * Still unguessable (74 random bits); never rely on it for ordering events.
 * Ids the database makes itself come from uuid_v7() (migration 022), the same layout.
 */
export function newId(): string {
  return v7();
}
