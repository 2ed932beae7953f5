-- Uploaded files and the org-aware pipelines of the second seed: files land
-- in the raw store (source = file) and are loaded into the organisation's
-- tables; each load leaves a quality report.

CREATE TABLE files (
  id            text PRIMARY KEY,
  org_id        text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  user_id       text,
  table_name    text NOT NULL,
  name          text NOT NULL,
  size          bigint NOT NULL,
  -- sha256 of the bytes, hex: the same file uploaded again for the same table is recognised.
  checksum      text NOT NULL,
  format        text,
  -- uploaded → landed (in the raw store) → loaded (in the table); failed with `error`.
  status        text NOT NULL CHECK (status IN ('uploaded', 'landed', 'loaded', 'failed')),
  -- Where the bytes are, relative to the upload directory.
  path          text NOT NULL,
  rows_read     bigint,
  records       bigint,
  rejected      bigint,
  rows_loaded   bigint,
  rows_rejected bigint,
  ingest_run_id text,
  load_run_id   text,
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_org_idx ON files (org_id, created_at DESC);
CREATE INDEX files_table_idx ON files (org_id, table_name, status);
CREATE UNIQUE INDEX files_checksum_idx ON files (org_id, table_name, checksum);

-- How each of an organisation's tables is loaded from the raw store.
CREATE TABLE table_settings (
  org_id       text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  table_name   text NOT NULL,
  write_mode   text NOT NULL DEFAULT 'append' CHECK (write_mode IN ('append', 'replace', 'upsert')),
  primary_key  text[],
  -- Inventory data: a load triggers forecast_inventory_dag.
  inventory    boolean NOT NULL DEFAULT false,
  -- The highest raw-store watermark loaded so far.
  loaded_watermark bigint NOT NULL DEFAULT 0,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, table_name)
);

CREATE TABLE quality_reports (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  table_name  text NOT NULL,
  run_id      text,
  -- { rows, loaded, rejected, nullRate: {column: share}, duplicateKeys, ... }
  metrics     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quality_reports_idx ON quality_reports (org_id, table_name, created_at DESC);
