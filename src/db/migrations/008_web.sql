-- The web app: sign-in sessions (they survive a restart) and what each person has read.

CREATE TABLE web_sessions (
  -- SHA-256 of the cookie's random token: a leaked table does not give working cookies
  token_hash text PRIMARY KEY,
  login text NOT NULL,
  -- the synchronizer token every state-changing form and fetch must carry
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- When a person last opened a lead: newer activity on it is "unread" for them.
CREATE TABLE web_lead_reads (
  login text NOT NULL,
  lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
  read_at timestamptz NOT NULL,
  PRIMARY KEY (login, lead_id)
);

-- The inbox lists a team's leads by status; the last activity of a lead comes from messages_lead_idx.
CREATE INDEX leads_team_status_idx ON leads (team, status, created_at DESC);
CREATE INDEX leads_responsible_idx ON leads (responsible, status) WHERE responsible IS NOT NULL;
