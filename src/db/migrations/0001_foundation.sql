-- Organisations, users, API tokens, failed logins and the audit trail.
-- Every table that holds an organisation's data carries org_id, and every
-- query Sluice runs against it filters on org_id.

CREATE TABLE orgs (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  email          text NOT NULL CHECK (email = lower(email)),
  name           text,
  role           text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  disabled_at    timestamptz
);
-- Login is by email alone, so an email belongs to one organisation.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_org_idx ON users (org_id);

-- Opaque bearer tokens. Only the SHA-256 of a token is stored; the token
-- itself is shown once, when it is created.
CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  user_id       uuid REFERENCES users (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('session', 'api')),
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
  token_hash    bytea NOT NULL,
  -- The first characters of the token, to tell tokens apart in lists.
  prefix        text NOT NULL,
  created_by    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_org_idx ON api_tokens (org_id);

-- Failed logins, kept for the rate-limit window; shared by every replica.
CREATE TABLE login_failures (
  id          bigserial PRIMARY KEY,
  email       text NOT NULL,
  ip          text NOT NULL,
  failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (email, failed_at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, failed_at);

-- The audit trail: every mutating API call and CLI action, and every refused
-- attempt. org_id is null only when the organisation is unknown (a request
-- with no valid token).
CREATE TABLE audit_events (
  id           bigserial PRIMARY KEY,
  org_id       text REFERENCES orgs (id) ON DELETE SET NULL,
  actor_type   text NOT NULL CHECK (actor_type IN ('user', 'token', 'cli', 'system', 'anonymous')),
  actor_id     text,
  action       text NOT NULL,
  target       text,
  outcome      text NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
  status       integer,
  request_id   text,
  ip           text,
  input        jsonb,
  error_code   text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_idx ON audit_events (org_id, created_at DESC);
CREATE INDEX audit_events_action_idx ON audit_events (org_id, action, created_at DESC);
