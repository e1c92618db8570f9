-- Nearly every inbound message updates its conversation (last_message_at, and the lead or deal it now belongs to).
-- last_message_at was the second column of conversations_contact_idx, so no such update could be HOT: each one
-- wrote a new version of the row plus an entry in each of the table's three indexes, and left three dead
-- entries for VACUUM. The one query that orders a contact's conversations by it (the contact card, which shows
-- the latest 100) now sorts that contact's rows after an index scan on contact_id; merges and the cascade of a
-- deleted contact look conversations up by contact_id as before. With that index and room left on each page
-- (fillfactor 90), the update touches no index. Measured on the bench's kept database at 64 events in flight,
-- after a rewrite of the table: 90-91 % of the updates HOT, two index entries fewer per event (17.7 to 15.8),
-- 9 % fewer write-ahead log records (docs/benchmarks.md, issue 18's eighth session). Without a rewrite, as here,
-- a full page makes room once its rows have moved once.
--
-- Cost on an existing installation: the new index is built by a scan and a sort of the whole table while writes
-- to it wait (SHARE lock), before the old one is dropped, so reads go on until then; the daemon starts once it
-- is done (seconds per million conversations on an SSD).
CREATE INDEX conversations_contact_id_idx ON conversations (contact_id);
DROP INDEX conversations_contact_idx;
ALTER INDEX conversations_contact_id_idx RENAME TO conversations_contact_idx;
ALTER TABLE conversations SET (fillfactor = 90);
