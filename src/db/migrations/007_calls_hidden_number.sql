-- Calls from hidden numbers (recorded without a contact or lead under telephony.anonymousCalls: record), and
-- what the PBX sent that could not be read ([{field, issue}], never values).
ALTER TABLE calls ADD COLUMN number_hidden boolean NOT NULL DEFAULT false;
ALTER TABLE calls ADD COLUMN parse_issues jsonb;
CREATE INDEX calls_number_hidden_idx ON calls (created_at DESC) WHERE number_hidden;
