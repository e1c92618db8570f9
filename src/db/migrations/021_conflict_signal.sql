-- Raises a serialization failure (SQLSTATE 40001) from inside a statement: the decision batch uses it when a
-- conversation it was about to create by its own id was created meanwhile by another transaction, so that the
-- batch is retried at once and reads it (src/db/repos/conversations.ts, upsertConversations).
CREATE FUNCTION switchboard_retry(message text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'serialization_failure', MESSAGE = message;
END
$$;
