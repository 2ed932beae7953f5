-- Connections: no-code descriptions of REST sources, one organisation each.
-- `config` holds the connection with every secret replaced by the mask;
-- `secrets` holds those values sealed with AES-256-GCM (src/secrets).

CREATE TABLE connections (
  -- Globally unique: it names the connection's DAG (etl_workflow_<id>), which Airflow keeps in one namespace.
  id                   text PRIMARY KEY,
  org_id               text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  name                 text NOT NULL,
  config               jsonb NOT NULL,
  secrets              text,
  -- Incremental reading: the committed cursor, and the candidate an extract found,
  -- which becomes the cursor only once the data it came from is committed.
  cursor_value         jsonb,
  cursor_candidate     jsonb,
  cursor_candidate_run text,
  last_run_at          timestamptz,
  created_by           text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_org_idx ON connections (org_id, name);
