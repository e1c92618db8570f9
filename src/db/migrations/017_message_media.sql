-- Attachments of messenger messages copied from the provider (whose links expire) into the database.
-- A table rather than files under the data directory: several daemons may share one PostgreSQL, and any of
-- them must be able to serve a file another one downloaded; backups and retention follow the database.
-- One row per downloadable attachment (`position` in messages.meta.attachments), queued in the decision's
-- transaction and filled by a background worker (src/channels/messenger/media-downloads.ts).

CREATE TABLE message_media (
  id uuid PRIMARY KEY,
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  position integer NOT NULL,
  channel text NOT NULL,
  account text NOT NULL,
  -- photo, file, voice, video (MessengerAttachment.kind)
  kind text NOT NULL,
  -- the provider's link, or null when it is asked for at download time (Avito voice: source_ref = voice_id)
  source_url text,
  source_ref text,
  name text,
  -- pending: to fetch (again at next_attempt_at) · stored · expired: the provider answered 404/410 ·
  -- too_large: over the account's media.maxBytes · failed: refused or attempts used up (last_error says why)
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'stored', 'expired', 'too_large', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  content_type text,
  bytes integer,
  sha256 text,
  content bytea,
  created_at timestamptz NOT NULL,
  stored_at timestamptz,
  UNIQUE (message_id, position)
);
CREATE INDEX message_media_due_idx ON message_media (next_attempt_at) WHERE status = 'pending';

-- When the provider said the chat was blocked/unsubscribed or open again (its own event time): callbacks can
-- arrive out of order (Viber retries), so an older event never overrides a newer one.
ALTER TABLE messenger_chats ADD COLUMN state_changed_at timestamptz;
