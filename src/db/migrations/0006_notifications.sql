-- Run notifications: where an organisation wants to hear about finished runs
-- (webhooks and e-mail addresses), and every attempt to tell them.
-- See src/notifications/README.md.

CREATE TABLE notification_targets (
  id             text PRIMARY KEY,
  org_id         text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  -- Null: every run of the organisation; otherwise only runs of this connection.
  connection_id  text REFERENCES connections (id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('webhook', 'email')),
  url            text,
  address        text,
  events         text[] NOT NULL DEFAULT ARRAY['run.succeeded', 'run.failed']
                 CHECK (cardinality(events) > 0 AND events <@ ARRAY['run.succeeded', 'run.failed']),
  -- The webhook's HMAC signing key, sealed with SLUICE_SECRET_KEY (src/secrets); null for e-mail.
  secret         text,
  enabled        boolean NOT NULL DEFAULT true,
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'webhook' AND url IS NOT NULL AND secret IS NOT NULL AND address IS NULL)
      OR (kind = 'email' AND address IS NOT NULL AND url IS NULL AND secret IS NULL))
);
CREATE INDEX notification_targets_org_idx ON notification_targets (org_id, created_at);

-- One row per notification sent (or not) to one target. The target may be
-- deleted later; its deliveries stay, with what it was (kind, destination).
CREATE TABLE notification_deliveries (
  id               text PRIMARY KEY,
  org_id           text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  target_id        text REFERENCES notification_targets (id) ON DELETE SET NULL,
  kind             text NOT NULL CHECK (kind IN ('webhook', 'email')),
  -- The webhook URL with secret-looking query values masked, or the e-mail address.
  destination      text NOT NULL,
  run_id           text NOT NULL,
  event            text NOT NULL CHECK (event IN ('run.succeeded', 'run.failed')),
  test             boolean NOT NULL DEFAULT false,
  status           text NOT NULL CHECK (status IN ('sent', 'failed', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0,
  response_status  integer,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_deliveries_org_idx ON notification_deliveries (org_id, created_at DESC);
CREATE INDEX notification_deliveries_target_idx ON notification_deliveries (org_id, target_id, created_at DESC);
CREATE INDEX notification_deliveries_run_idx ON notification_deliveries (org_id, run_id);
