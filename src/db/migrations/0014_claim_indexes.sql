-- The claim (src/engine/claim-tasks.ts) walks the organisations that have
-- ready tasks and, in each, its oldest ready tasks: both by this index, so a
-- claim costs the same behind ten queued tasks or a hundred thousand.
CREATE INDEX task_instances_org_ready_idx ON task_instances (org_id, available_at, position) WHERE state IN ('queued', 'up_for_retry');
