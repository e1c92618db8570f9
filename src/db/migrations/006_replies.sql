-- Managers' replies: the ledger that makes sending idempotent. A reply is stored as `pending` BEFORE the
-- channel sends it, marked `sent` (with the channel's message id and the outbound event that records it in
-- the thread) or `failed` (with the reason) after. A retry with the same idempotency key never sends twice:
-- a sent reply answers with its stored result, a pending one (in flight, or its outcome unknown after a
-- crash) is refused, a failed one is sent again.
CREATE TABLE replies (
  id uuid PRIMARY KEY,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  idempotency_key text NOT NULL,
  channel text NOT NULL,
  account text NOT NULL,
  actor text NOT NULL,
  body text NOT NULL,
  subject text,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 1,
  external_id text,
  inbound_event_id uuid REFERENCES inbound_events (id) ON DELETE SET NULL,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  sent_at timestamptz,
  UNIQUE (conversation_id, idempotency_key)
);

CREATE INDEX replies_pending ON replies (updated_at) WHERE status = 'pending';
