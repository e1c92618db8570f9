-- Core data model: people and companies, their identities, CRM deals, leads, conversations, messages,
-- every raw inbound payload, merge suggestions and the audit trail.

CREATE TABLE companies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  external_id text UNIQUE,
  name text,
  inn text,
  region text,
  client_type text,
  responsible text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX companies_inn_idx ON companies (inn) WHERE inn IS NOT NULL;

CREATE TABLE contacts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  external_id text UNIQUE,
  name text,
  -- prospect: only seen through channels; client: known to the CRM (pushed, has a deal, or a lead converted)
  status text NOT NULL DEFAULT 'prospect' CHECK (status IN ('prospect', 'client')),
  company_id uuid REFERENCES companies (id) ON DELETE SET NULL,
  client_type text,
  region text,
  responsible text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_company_idx ON contacts (company_id) WHERE company_id IS NOT NULL;

CREATE TABLE identities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('phone', 'email', 'whatsapp', 'vk', 'avito', 'viber', 'telegram')),
  value text NOT NULL,
  -- verified: the contact's own address as a channel delivered it or the CRM stated it;
  -- false: a hint found in content (a phone in a signature) that has not been confirmed
  verified boolean NOT NULL DEFAULT true,
  source text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, value)
);
CREATE INDEX identities_contact_idx ON identities (contact_id);

CREATE TABLE deals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  external_id text NOT NULL UNIQUE,
  contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  company_id uuid REFERENCES companies (id) ON DELETE SET NULL,
  title text,
  stage text,
  status text NOT NULL CHECK (status IN ('active', 'won', 'lost')),
  responsible text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_contact_active_idx ON deals (contact_id, updated_at DESC) WHERE status = 'active';
CREATE INDEX deals_company_idx ON deals (company_id) WHERE company_id IS NOT NULL;

CREATE TABLE leads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('new', 'repeat')),
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'converted', 'junk')),
  channel text NOT NULL,
  account text NOT NULL,
  team text,
  responsible text,
  -- the routing trace: facts, the rule that matched, candidates, the chosen manager
  routing jsonb,
  -- when the client first reached us for this lead; the SLA clock starts here
  first_contact_at timestamptz NOT NULL,
  taken_at timestamptz,
  closed_at timestamptz,
  deal_id uuid REFERENCES deals (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The lead rule "a client with an open lead does not get a second one", enforced by the database too.
CREATE UNIQUE INDEX leads_one_open_per_contact ON leads (contact_id) WHERE status IN ('new', 'in_progress');
CREATE INDEX leads_status_created_idx ON leads (status, created_at DESC);
CREATE INDEX leads_created_idx ON leads (created_at DESC, id);
CREATE INDEX leads_contact_idx ON leads (contact_id, created_at DESC);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel text NOT NULL,
  account text NOT NULL,
  thread_key text NOT NULL,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
  deal_id uuid REFERENCES deals (id) ON DELETE SET NULL,
  subject text,
  last_message_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, account, thread_key)
);
CREATE INDEX conversations_contact_idx ON conversations (contact_id, last_message_at DESC);

CREATE TABLE inbound_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- the adapter that understands the payload (api, email, megafon, ...)
  source text NOT NULL,
  account text,
  external_id text,
  content_type text NOT NULL DEFAULT 'application/json',
  payload jsonb,
  raw bytea,
  -- received: stored, not yet processed; processed: decided; failed: will be retried at next_attempt_at;
  -- dead: gave up after max attempts; rejected: failed validation, kept for inspection
  status text NOT NULL DEFAULT 'received'
    CHECK (status IN ('received', 'processed', 'failed', 'dead', 'rejected')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz,
  decision jsonb,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  CHECK (payload IS NOT NULL OR raw IS NOT NULL)
);
CREATE INDEX inbound_events_pending_idx ON inbound_events (next_attempt_at NULLS FIRST, received_at)
  WHERE status IN ('received', 'failed');
CREATE INDEX inbound_events_status_idx ON inbound_events (status, received_at DESC);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  lead_id uuid REFERENCES leads (id) ON DELETE SET NULL,
  deal_id uuid REFERENCES deals (id) ON DELETE SET NULL,
  inbound_event_id uuid REFERENCES inbound_events (id) ON DELETE SET NULL,
  kind text NOT NULL CHECK (kind IN ('message', 'call')),
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  channel text NOT NULL,
  account text NOT NULL,
  external_id text NOT NULL,
  subject text,
  body text,
  meta jsonb,
  occurred_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, account, external_id)
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, occurred_at);
CREATE INDEX messages_lead_idx ON messages (lead_id, occurred_at) WHERE lead_id IS NOT NULL;
CREATE INDEX messages_contact_idx ON messages (contact_id, occurred_at DESC);

CREATE TABLE merge_suggestions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- SET NULL: a merged suggestion stays as history after the merged-away contact is deleted
  contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  other_contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
  identity_kind text NOT NULL,
  identity_value text NOT NULL,
  reason text NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'dismissed')),
  inbound_event_id uuid REFERENCES inbound_events (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (contact_id, other_contact_id, identity_kind, identity_value),
  CHECK (contact_id <> other_contact_id)
);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- pipeline, api:<token name>, crm
  actor text NOT NULL,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id uuid NOT NULL,
  reason text NOT NULL,
  data jsonb,
  inbound_event_id uuid
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, at);
