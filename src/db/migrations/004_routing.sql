-- Routing: the team queue, round-robin cursors, and the lookups assignment does for every lead.

-- Set while a lead waits in its team's queue (nobody on shift or under capacity); cleared on assignment.
ALTER TABLE leads ADD COLUMN queued_at timestamptz;
CREATE INDEX leads_queue_idx ON leads (queued_at) WHERE queued_at IS NOT NULL;
-- Capacity: open leads per manager, counted under the manager's lock on every assignment.
CREATE INDEX leads_open_responsible_idx ON leads (responsible)
  WHERE status IN ('new', 'in_progress') AND responsible IS NOT NULL;
-- Sticky assignment: the manager of the contact's most recent deal, whatever its status.
CREATE INDEX deals_contact_recent_idx ON deals (contact_id, updated_at DESC) WHERE contact_id IS NOT NULL;

-- One row per team: locked FOR UPDATE while a lead is assigned in the team, so assignments within a team are
-- serialized across daemons, and the round-robin cursor is shared by all of them.
CREATE TABLE routing_team_state (
  team text PRIMARY KEY,
  last_manager text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
