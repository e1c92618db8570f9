-- One outbox for everything Switchboard sends to other systems (signed webhooks, Bitrix24), and the
-- Bitrix24 connector's bookkeeping.

-- One row per (event, subscriber), inserted in the transaction of the change that causes the event.
-- A subscriber's rows are delivered strictly in seq order: only its oldest pending row (the head) is ever
-- claimed; a row given up on (failed: the dead letter) no longer blocks the ones after it.
CREATE TABLE outbox (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  -- the same for every subscriber of one event: the receiver's idempotency key
  event_id uuid NOT NULL,
  -- 'webhook:<name>' or 'bitrix24'
  subscriber text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  -- pending: waiting for next_attempt_at; sending: claimed by claimed_by at claimed_at (a lease);
  -- delivered; failed: attempts exhausted or a permanent error (retry through the API)
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  claimed_by text,
  claimed_at timestamptz,
  delivered_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (subscriber, event_id)
);
CREATE INDEX outbox_head_idx ON outbox (subscriber, seq) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_status_idx ON outbox (status, seq DESC);

-- The delivery log: one row per attempt.
CREATE TABLE outbox_attempts (
  outbox_id uuid NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  error text,
  PRIMARY KEY (outbox_id, attempt)
);

-- Bitrix24: the Bitrix24 lead made for each Switchboard lead (a retry finds it here, never adds twice).
CREATE TABLE bitrix24_leads (
  lead_id uuid PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
  b24_id bigint NOT NULL UNIQUE,
  created_at timestamptz NOT NULL
);

-- The DATE_MODIFY of the version last applied per record: an older read (a late event, the pull's overlap)
-- is not applied again.
CREATE TABLE bitrix24_records (
  entity text NOT NULL CHECK (entity IN ('contact', 'company', 'deal', 'lead')),
  b24_id bigint NOT NULL,
  date_modify timestamptz NOT NULL,
  PRIMARY KEY (entity, b24_id)
);

-- Pull cursors: the full load's keyset position, then the newest DATE_MODIFY seen.
CREATE TABLE bitrix24_cursors (
  entity text PRIMARY KEY,
  full_load_done boolean NOT NULL DEFAULT false,
  last_id bigint NOT NULL DEFAULT 0,
  date_modify timestamptz,
  reconciled_at timestamptz,
  updated_at timestamptz NOT NULL
);

-- Events received from Bitrix24 (hints: only the ID), stored before the 200, worked off by the sync.
CREATE TABLE bitrix24_hints (
  entity text NOT NULL,
  b24_id bigint NOT NULL,
  event text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (entity, b24_id)
);
