-- The latest run of each connection (pipeline status, the connections list)
-- and a connection's failed runs: found by index instead of scanning every
-- run of the organisation.
CREATE INDEX runs_org_connection_idx ON runs (org_id, connection_id, queued_at DESC) WHERE connection_id IS NOT NULL;
