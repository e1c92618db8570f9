-- Wrong passwords, per login and per client address: the sign-in throttle lives in the database so that
-- several daemons behind one address share it and a restart does not reset it.
CREATE TABLE web_login_failures (
  -- 'login:<login>' or 'ip:<address>'
  key text NOT NULL,
  failed_at timestamptz NOT NULL
);
CREATE INDEX web_login_failures_key_idx ON web_login_failures (key, failed_at);
-- Rows older than the window are deleted as new failures come in.
CREATE INDEX web_login_failures_at_idx ON web_login_failures (failed_at);
