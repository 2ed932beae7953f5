-- The builtin orchestrator: schedules, runs of pipelines (DAGs), their task
-- instances with claims and leases, and per-attempt logs. See src/engine/README.md.

CREATE TABLE schedules (
  id                        text PRIMARY KEY,
  org_id                    text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  -- One schedule per connection: it names the DAG etl_workflow_<connection_id>.
  connection_id             text NOT NULL UNIQUE REFERENCES connections (id) ON DELETE CASCADE,
  dag_id                    text NOT NULL,
  schedule_type             text NOT NULL,
  cron_expression           text NOT NULL,
  timezone                  text NOT NULL DEFAULT 'UTC',
  paused                    boolean NOT NULL DEFAULT false,
  overlap_policy            text NOT NULL DEFAULT 'skip' CHECK (overlap_policy IN ('skip', 'queue')),
  missed_run_policy         text NOT NULL DEFAULT 'latest' CHECK (missed_run_policy IN ('none', 'latest', 'all')),
  missed_run_window_seconds integer NOT NULL DEFAULT 86400,
  max_active_runs           integer NOT NULL DEFAULT 1,
  -- The last fire time the scheduler handled (a run created, or skipped by policy).
  last_fire_at              timestamptz NOT NULL,
  next_fire_at              timestamptz,
  orchestrator              text NOT NULL DEFAULT 'builtin',
  created_by                text,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_org_idx ON schedules (org_id, created_at);
CREATE INDEX schedules_due_idx ON schedules (next_fire_at) WHERE NOT paused;

CREATE TABLE runs (
  id               text PRIMARY KEY,
  org_id           text NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  dag_id           text NOT NULL,
  -- The pipeline template the DAG was built from (etl_workflow, ...).
  pipeline         text NOT NULL,
  connection_id    text,
  schedule_id      text REFERENCES schedules (id) ON DELETE SET NULL,
  state            text NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed', 'cancelled')),
  trigger          text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'api', 'upstream', 'airflow')),
  conf             jsonb NOT NULL DEFAULT '{}',
  -- The scheduled time this run is for (schedule runs only).
  fire_at          timestamptz,
  max_active_runs  integer NOT NULL DEFAULT 1,
  cancel_requested boolean NOT NULL DEFAULT false,
  orchestrator     text NOT NULL DEFAULT 'builtin',
  external_id      text,
  created_by       text,
  queued_at        timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  ended_at         timestamptz,
  error            text,
  -- One run per schedule and fire time, however many schedulers race for it.
  UNIQUE (schedule_id, fire_at)
);
CREATE INDEX runs_org_idx ON runs (org_id, queued_at DESC);
CREATE INDEX runs_org_dag_idx ON runs (org_id, dag_id, queued_at DESC);
CREATE INDEX runs_active_idx ON runs (org_id, dag_id) WHERE state IN ('queued', 'running');

CREATE TABLE task_instances (
  run_id           text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_id          text NOT NULL,
  org_id           text NOT NULL,
  -- pending: waiting on upstream tasks; queued / up_for_retry: claimable from available_at.
  state            text NOT NULL CHECK (state IN ('pending', 'queued', 'running', 'success', 'failed',
                                                  'up_for_retry', 'upstream_failed', 'skipped', 'cancelled')),
  position         integer NOT NULL,
  upstream         text[] NOT NULL DEFAULT '{}',
  trigger_rule     text NOT NULL DEFAULT 'all_success' CHECK (trigger_rule IN ('all_success', 'all_done')),
  try_number       integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL,
  available_at     timestamptz,
  lease_owner      text,
  lease_expires_at timestamptz,
  started_at       timestamptz,
  ended_at         timestamptz,
  rows_in          bigint,
  rows_out         bigint,
  rows_rejected    bigint,
  -- What the task hands to its downstream tasks (counts, watermarks).
  output           jsonb,
  error            text,
  error_code       text,
  PRIMARY KEY (run_id, task_id)
);
CREATE INDEX task_instances_claim_idx ON task_instances (available_at) WHERE state IN ('queued', 'up_for_retry');
CREATE INDEX task_instances_running_idx ON task_instances (org_id) WHERE state = 'running';
CREATE INDEX task_instances_lease_idx ON task_instances (lease_expires_at) WHERE state = 'running';

-- One row per try of a task: who ran it, how it ended.
CREATE TABLE task_attempts (
  run_id      text NOT NULL,
  task_id     text NOT NULL,
  try_number  integer NOT NULL,
  org_id      text NOT NULL,
  worker      text NOT NULL,
  state       text NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  ended_at    timestamptz,
  error       text,
  PRIMARY KEY (run_id, task_id, try_number),
  FOREIGN KEY (run_id, task_id) REFERENCES task_instances (run_id, task_id) ON DELETE CASCADE
);

CREATE TABLE task_logs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id      text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task_id     text NOT NULL,
  try_number  integer NOT NULL,
  org_id      text NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  level       text NOT NULL,
  message     text NOT NULL,
  data        jsonb
);
CREATE INDEX task_logs_run_idx ON task_logs (run_id, id);
