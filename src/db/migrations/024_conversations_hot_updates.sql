-- Nearly every inbound message updates its conversation (last_message_at, and the lead or deal it now belongs to).
-- last_message_at was the second column of conversations_contact_idx, so no such update could be HOT: each one
-- wrote a new version of the row plus an entry in each of the table's three indexes, and left three dead
-- entries for VACUUM. The one query that orders a contact's conversations by it (the contact card, at most 100
-- of them) sorts a contact's few rows just as well after an index on contact_id alone. With that index and room
-- left on each page (fillfactor 90), the update touches no index: measured on the bench's kept database at 64
-- events in flight, 91 % of the updates HOT, two index entries fewer per event (17.7 to 15.8), 9 % fewer
-- write-ahead log records (docs/benchmarks.md, issue 18's eighth session). Existing pages keep no room until
-- their rows move once; new and moved rows get it.
DROP INDEX conversations_contact_idx;
CREATE INDEX conversations_contact_idx ON conversations (contact_id);
ALTER TABLE conversations SET (fillfactor = 90);
