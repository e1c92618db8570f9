-- Messenger channels (Telegram, MAX): MAX user ids become an identity kind, and each chat of a bot keeps the
-- little state its transport needs: whether the client blocked the bot (replies are refused with the reason)
-- and when we asked for the phone number (asked once per chat).

ALTER TABLE identities DROP CONSTRAINT identities_kind_check;
ALTER TABLE identities ADD CONSTRAINT identities_kind_check
  CHECK (kind IN ('phone', 'email', 'whatsapp', 'vk', 'avito', 'viber', 'telegram', 'max'));

CREATE TABLE messenger_chats (
  channel text NOT NULL,
  account text NOT NULL,
  -- the provider's chat id as text (MAX ids are 64-bit)
  chat_id text NOT NULL,
  -- set while the client has blocked/stopped the bot; the reason is shown to a manager whose reply is refused
  blocked_at timestamptz,
  blocked_reason text,
  phone_requested_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (channel, account, chat_id)
);
