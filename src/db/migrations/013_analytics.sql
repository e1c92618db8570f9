-- The supervisors' dashboard (src/analytics): every figure reads a period of leads, messages or SLA rows by
-- time. These indexes keep each endpoint an index range scan at a million leads (bench/analytics.ts).

-- Leads by first contact: the period's cohort (summary, breakdowns, heat map, daily series). Covering: the
-- summary, the heat map, the daily series and the channel/team/manager breakdowns read no lead row (these
-- columns already sit in other lead indexes, so status changes were not HOT updates before either).
CREATE INDEX leads_first_contact_idx ON leads (first_contact_at)
  INCLUDE (id, kind, status, team, responsible, channel, taken_at);
-- First response: the earliest outbound message or call of a lead, one probe per lead.
CREATE INDEX messages_lead_out_idx ON messages (lead_id, occurred_at) WHERE direction = 'out' AND lead_id IS NOT NULL;
-- Attached communications: inbound messages of the period (the lead they joined is read by its key).
CREATE INDEX messages_in_occurred_idx ON messages (occurred_at) INCLUDE (lead_id, deal_id) WHERE direction = 'in';
-- SLA breaches by the time their step fired (deliveries already have sla_notifications_created_idx).
CREATE INDEX sla_steps_fired_idx ON sla_steps (fired_at);
-- Open leads nobody owns, right now (waiting in a queue: leads_queue_idx).
CREATE INDEX leads_open_unowned_idx ON leads (first_contact_at) WHERE status IN ('new', 'in_progress') AND responsible IS NULL;
