-- The SLA scanner pages the new leads by when Switchboard created them (a lead stamped with an old first-contact
-- time is still alerted), so its index follows: (created_at, id) over new leads replaces (first_contact_at, id),
-- which nothing reads any more but every lead write kept up to date.
DROP INDEX IF EXISTS leads_new_first_contact_idx;
CREATE INDEX leads_new_created_idx ON leads (created_at, id) WHERE status = 'new';
