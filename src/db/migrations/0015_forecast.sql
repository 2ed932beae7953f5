-- forecast_inventory_dag (issue 15): each table's forecast settings, the last
-- result published per table, schedules of a table's forecast, and the
-- `forecast.reorder` notification. See src/forecasts/README.md.

-- What the organisation set for a table's forecast; columns left out are
-- detected from the table's columns whenever they are needed. Whether the
-- forecast is on is table_settings.inventory (the upload field inventory=true).
CREATE TABLE forecast_settings (
  org_id      text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  table_name  text NOT NULL,
  settings    jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, table_name)
);

-- The result a run published into <table>__forecast and <table>__plan: what
-- GET /api/forecasts shows without reading the plan.
CREATE TABLE forecast_results (
  org_id        text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  table_name    text NOT NULL,
  run_id        text NOT NULL,
  published_at  timestamptz NOT NULL DEFAULT now(),
  items         bigint NOT NULL,
  -- Items per plan status, and what the run used (columns, frequency, lead time...).
  counts        jsonb NOT NULL,
  settings      jsonb NOT NULL,
  PRIMARY KEY (org_id, table_name)
);

-- A table's forecast schedule is a schedule of forecast_inventory_dag with
-- the table in its conf: no connection, the table named instead.
ALTER TABLE schedules ALTER COLUMN connection_id DROP NOT NULL;
ALTER TABLE schedules ADD COLUMN table_name text;
ALTER TABLE schedules ADD COLUMN conf jsonb;
ALTER TABLE schedules ADD CONSTRAINT schedules_source_check CHECK ((connection_id IS NULL) <> (table_name IS NULL));
CREATE UNIQUE INDEX schedules_table_idx ON schedules (org_id, dag_id, table_name) WHERE table_name IS NOT NULL;

-- The reorder notification. Organisation-wide targets that heard every event
-- hear it too (a forecast belongs to no connection, so targets of one
-- connection never do).
ALTER TABLE notification_targets DROP CONSTRAINT notification_targets_events_check;
ALTER TABLE notification_targets ADD CONSTRAINT notification_targets_events_check
  CHECK (cardinality(events) > 0 AND events <@ ARRAY['run.succeeded', 'run.failed', 'forecast.reorder']);
UPDATE notification_targets SET events = events || ARRAY['forecast.reorder']
 WHERE connection_id IS NULL AND events @> ARRAY['run.succeeded', 'run.failed'];
ALTER TABLE notification_deliveries DROP CONSTRAINT notification_deliveries_event_check;
ALTER TABLE notification_deliveries ADD CONSTRAINT notification_deliveries_event_check
  CHECK (event IN ('run.succeeded', 'run.failed', 'forecast.reorder'));
