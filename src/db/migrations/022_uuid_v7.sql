-- Ids made by the database follow the same layout as those the daemon makes (src/core/ids.ts): UUIDv7 (RFC 9562),
-- the first 48 bits the time in milliseconds, the rest random. Consecutive rows get neighbouring ids, so a new
-- row's primary-key entry lands on the index's last page instead of a random one. PostgreSQL 18 has uuidv7();
-- this is the same layout for the versions before it: a random (version 4) UUID whose first six bytes are
-- replaced by the time, and whose version nibble is turned from 4 (0100) into 7 (0111).
CREATE FUNCTION uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
                PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                FROM 1 FOR 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;

-- The tables a decision writes (existing rows keep their ids).
ALTER TABLE contacts ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE identities ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE leads ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE conversations ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE inbound_events ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE messages ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE merge_suggestions ALTER COLUMN id SET DEFAULT uuid_v7();
ALTER TABLE calls ALTER COLUMN id SET DEFAULT uuid_v7();
