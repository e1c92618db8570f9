-- Bitrix24: each ended PBX call as written to Bitrix24, so a retry never registers it twice.
-- mode 'telephony': telephony.externalcall.register gave b24_call_id (kept at once, before finish);
-- mode 'comment': the portal refused telephony methods (webhook auth, no scope): a timeline comment instead.
CREATE TABLE bitrix24_calls (
  call_id uuid PRIMARY KEY REFERENCES calls (id) ON DELETE CASCADE,
  mode text NOT NULL CHECK (mode IN ('telephony', 'comment')),
  b24_call_id text,
  registered_at timestamptz NOT NULL,
  finished_at timestamptz,
  record_attached_at timestamptz,
  record_error text
);

-- The full load's keyset position is committed with each page (bitrix24_cursors.last_id): a restarted load
-- resumes there. Messenger ids of a Bitrix24 contact that are not our identities (IM of other kinds, a
-- Telegram @username) are kept here, not thrown away.
ALTER TABLE bitrix24_records ADD COLUMN im jsonb;

-- amoCRM: the incoming (unsorted) lead made for each Switchboard lead, by its uid.
CREATE TABLE amocrm_leads (
  lead_id uuid PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
  unsorted_uid text NOT NULL,
  amo_lead_id bigint,
  created_at timestamptz NOT NULL
);
