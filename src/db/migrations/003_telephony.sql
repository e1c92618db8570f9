-- Telephony: live call state for the manager UI, per-leg states, recordings to copy, PBX users, and the
-- "needs a call back" mark on leads created or reached by a missed call.

CREATE TABLE calls (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- megafon, mango, api (the generic entry): the event source the call came through
  provider text NOT NULL,
  account text NOT NULL,
  -- the provider's id of the whole call (MegaFon callid, Mango entry_id, the generic externalId)
  call_key text NOT NULL,
  direction text CHECK (direction IN ('in', 'out')),
  -- the client's number in E.164 (personal data: never logged at info level)
  client_phone text,
  -- the number the client dialled (our line), E.164 when known
  dialled text,
  -- the PBX login of the employee who answered or placed the call, and the manager it maps to
  agent_pbx text,
  agent text,
  state text NOT NULL CHECK (state IN ('ringing', 'answered', 'ended', 'missed')),
  started_at timestamptz,
  answered_at timestamptz,
  ended_at timestamptz,
  wait_seconds integer,
  talk_seconds integer,
  recording_url text,
  -- the score the client gave after the call (MegaFon `rating`)
  rating text,
  -- set when the authoritative record (MegaFon history, Mango summary, generic call) was processed;
  -- from then on live events no longer change the state
  outcome_at timestamptz,
  contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
  deal_id uuid REFERENCES deals (id) ON DELETE SET NULL,
  message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, account, call_key)
);
CREATE INDEX calls_live_idx ON calls (updated_at DESC) WHERE state IN ('ringing', 'answered');
CREATE INDEX calls_created_idx ON calls (created_at DESC, id);
CREATE INDEX calls_lead_idx ON calls (lead_id) WHERE lead_id IS NOT NULL;

-- One row per leg (a ringing extension, a transferred-to employee): who is ringing, who answered.
CREATE TABLE call_legs (
  call_id uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
  leg_key text NOT NULL,
  agent_pbx text,
  agent text,
  ext text,
  state text NOT NULL CHECK (state IN ('ringing', 'answered', 'ended', 'missed')),
  -- Mango's per-call sequence number; an event with a lower seq than the stored one is stale
  seq bigint,
  -- the daemon's receive time: MegaFon events carry no timestamp
  received_at timestamptz NOT NULL,
  PRIMARY KEY (call_id, leg_key)
);

-- Recording files copied from the PBX (links are short-lived) into the data directory.
CREATE TABLE call_recordings (
  call_id uuid PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
  url text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  file_name text,
  content_type text,
  bytes integer,
  last_error text,
  stored_at timestamptz
);
CREATE INDEX call_recordings_due_idx ON call_recordings (next_attempt_at) WHERE status = 'pending';

-- Users imported from the PBX, with the manager each maps to (by pbxLogin in config, e-mail or login).
CREATE TABLE pbx_users (
  provider text NOT NULL,
  account text NOT NULL,
  login text NOT NULL,
  name text,
  ext text,
  email text,
  manager text,
  imported_at timestamptz NOT NULL,
  PRIMARY KEY (provider, account, login)
);

-- A missed inbound call from a client: somebody must call back. Cleared by an answered call.
ALTER TABLE leads ADD COLUMN needs_callback boolean NOT NULL DEFAULT false;
CREATE INDEX leads_needs_callback_idx ON leads (created_at DESC) WHERE needs_callback;
