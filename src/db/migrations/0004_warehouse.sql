-- What Sluice knows of each organisation's warehouse tables (the tables
-- themselves live in the organisation's own database or schema).

CREATE TABLE warehouse_tables (
  org_id          text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  table_name      text NOT NULL,
  -- [{ "name", "type", "nullable" }] in column order, Sluice's own columns excluded.
  columns         jsonb NOT NULL,
  primary_key     text[],
  row_count       bigint NOT NULL DEFAULT 0,
  rejected_count  bigint NOT NULL DEFAULT 0,
  -- The version of the counts in the organisation's own _sluice_tables;
  -- an update carrying an older version is ignored (loads may finish out of order).
  version         bigint NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, table_name)
);
