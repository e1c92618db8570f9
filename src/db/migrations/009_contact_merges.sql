-- Every merge a person made, with what it changed, so it can be undone: the merged-away contact as it was,
-- the ids of the rows that moved, the target's fields before, the duplicate lead it closed, the suggestions
-- it re-pointed or removed.
CREATE TABLE contact_merges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  target_id uuid NOT NULL,
  source_id uuid NOT NULL,
  suggestion_id uuid,
  snapshot jsonb NOT NULL,
  actor text NOT NULL,
  merged_at timestamptz NOT NULL,
  undone_at timestamptz,
  undone_by text
);
CREATE INDEX contact_merges_target_idx ON contact_merges (target_id, merged_at DESC);
CREATE INDEX contact_merges_recent_idx ON contact_merges (merged_at DESC);
