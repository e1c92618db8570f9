-- Email channel: where each watched IMAP folder stands, skip reasons on inbound events, and the lookup that
-- keeps a message from being stored twice (a UIDVALIDITY resync, the copy of our own reply in a folder).

-- One row per (mailbox label, folder). Advanced in the same transaction that stores the message, so a
-- restart resumes exactly after the last stored UID. uid_validity changes when the server rebuilt the folder.
CREATE TABLE email_cursors (
  mailbox text NOT NULL,
  folder text NOT NULL,
  uid_validity bigint NOT NULL,
  last_uid bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mailbox, folder)
);

-- Communications a source recognized and deliberately kept out of the lead rules (auto-replies, bounces,
-- our own mail, blocklisted senders): [{channel, account, externalId, rule, reason}].
ALTER TABLE inbound_events ADD COLUMN skipped jsonb;

CREATE INDEX inbound_events_external_idx ON inbound_events (source, account, external_id)
  WHERE external_id IS NOT NULL;
