-- The API's payload is stored by its decision's transaction, inserted once and already decided (its status,
-- decision and attempt in the INSERT) after the decision's rows that point at it: the message and any merge
-- suggestion. Their references to it are therefore checked at COMMIT, not at each row's insert; a reference to
-- an event that does not exist still fails the transaction, at its end. This replaces an INSERT as `received`
-- followed by an UPDATE to `processed` in the same transaction: a second 2.5 KB version of the row, its index
-- entries and its write-ahead log, for every event (docs/benchmarks.md, issue 18's seventh session).
ALTER TABLE messages ALTER CONSTRAINT messages_inbound_event_id_fkey DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE merge_suggestions ALTER CONSTRAINT merge_suggestions_inbound_event_id_fkey DEFERRABLE INITIALLY DEFERRED;
