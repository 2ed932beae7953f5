-- The processes that run tasks (sluice start, sluice worker, sluice run), with
-- what tells whether one still runs: host, pid, and on Linux its start time,
-- boot id and pid namespace (src/process-identity.ts). A process that starts
-- on a host reaps at once the running tasks of that host's processes that
-- died (kill -9, a crash), instead of waiting for their leases to expire.
CREATE TABLE workers (
  id          text PRIMARY KEY,
  host        text NOT NULL,
  process     jsonb NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  seen_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workers_host_idx ON workers (host);
