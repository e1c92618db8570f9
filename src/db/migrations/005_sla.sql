-- SLA alerts: the steps that fired per lead, one delivery row per recipient and channel (a durable outbox),
-- and in-app notifications for the web inbox.

-- One row per (lead, step, repeat) that fired. Inserting it is the decision "this step fires": ON CONFLICT
-- DO NOTHING makes it exactly once across restarts and daemon instances, and its deliveries are inserted
-- in the same transaction by whoever inserted it.
CREATE TABLE sla_steps (
  lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
  step_id text NOT NULL,
  repeat_no integer NOT NULL DEFAULT 0,
  team text,
  due_at timestamptz NOT NULL,
  fired_at timestamptz NOT NULL,
  PRIMARY KEY (lead_id, step_id, repeat_no)
);

CREATE TABLE sla_notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
  step_id text NOT NULL,
  repeat_no integer NOT NULL DEFAULT 0,
  team text,
  -- a manager login, '*' for the webhook, or the unfilled role ('assignee') for channel 'none'
  recipient text NOT NULL,
  -- none: nobody could be reached (the row is failed at once with the reason, so it is visible)
  channel text NOT NULL CHECK (channel IN ('telegram', 'email', 'webhook', 'inapp', 'none')),
  -- pending: waiting for next_attempt_at; sending: claimed by claimed_by at claimed_at (a lease);
  -- sent; failed: gave up (attempts exhausted or a permanent error); cancelled: the lead was handled first
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
  due_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  claimed_by text,
  claimed_at timestamptz,
  sent_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  UNIQUE (lead_id, step_id, repeat_no, recipient, channel),
  FOREIGN KEY (lead_id, step_id, repeat_no) REFERENCES sla_steps (lead_id, step_id, repeat_no) ON DELETE CASCADE
);
CREATE INDEX sla_notifications_due_idx ON sla_notifications (next_attempt_at, id)
  WHERE status IN ('pending', 'sending');
CREATE INDEX sla_notifications_created_idx ON sla_notifications (created_at DESC, id);
CREATE INDEX sla_notifications_lead_idx ON sla_notifications (lead_id);

-- The scanner's lookup: leads still new, oldest first contact first.
CREATE INDEX leads_new_first_contact_idx ON leads (first_contact_at, id) WHERE status = 'new';

-- In-app notifications (the web inbox). source_id makes delivering an SLA row twice impossible.
CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  recipient text NOT NULL,
  kind text NOT NULL,
  source_id uuid UNIQUE,
  lead_id uuid REFERENCES leads (id) ON DELETE CASCADE,
  title text NOT NULL,
  body text NOT NULL,
  url text,
  created_at timestamptz NOT NULL,
  read_at timestamptz
);
CREATE INDEX notifications_recipient_idx ON notifications (recipient, created_at DESC, id);
CREATE INDEX notifications_unread_idx ON notifications (recipient, created_at DESC) WHERE read_at IS NULL;
