-- The supervisors' dashboard (src/analytics): every figure reads a period of leads, messages or SLA rows by
-- time. These indexes keep each endpoint an index range scan at a million leads (bench/analytics.ts).

-- A lead's first response: the earliest outbound message or call on it at or after its first contact. Kept by the
-- lead rules when they record an outbound communication (src/routing/lead-rules.ts); filled here for existing leads.
ALTER TABLE leads ADD COLUMN first_response_at timestamptz;
UPDATE leads l SET first_response_at = r.at
FROM (SELECT m.lead_id, min(m.occurred_at) AS at FROM messages m JOIN leads x ON x.id = m.lead_id
      WHERE m.direction = 'out' AND m.occurred_at >= x.first_contact_at GROUP BY m.lead_id) r
WHERE r.lead_id = l.id;

-- Leads by first contact: the period's cohort (summary, breakdowns, heat map, daily series). Covering: the
-- summary, the heat map, the daily series and the channel/team/manager breakdowns read no lead row (status,
-- team and responsible already sit in other lead indexes, so their changes were not HOT updates before either).
CREATE INDEX leads_first_contact_idx ON leads (first_contact_at)
  INCLUDE (id, kind, status, team, responsible, channel, taken_at, first_response_at);
-- Attached communications: inbound messages of the period, with the lead or deal they joined.
CREATE INDEX messages_in_occurred_idx ON messages (occurred_at) INCLUDE (lead_id, deal_id) WHERE direction = 'in';
-- SLA breaches by the time their step fired (deliveries already have sla_notifications_created_idx).
CREATE INDEX sla_steps_fired_idx ON sla_steps (fired_at);
-- Open leads nobody owns, right now (waiting in a queue: leads_queue_idx).
CREATE INDEX leads_open_unowned_idx ON leads (first_contact_at) WHERE status IN ('new', 'in_progress') AND responsible IS NULL;
