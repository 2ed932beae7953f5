import type { Queryable } from '../db/index.js';
import type { RunState } from './model.js';

/**
 * The claim of ready tasks: the one SQL operation every worker runs in a
 * loop, so it must be fair and it must never starve a task.
 *
 * Glossary of this file:
 * - ready: a task instance `queued` or `up_for_retry` whose `available_at`
 *   has come, of a builtin run that is queued or running and not cancelled;
 * - claimable: ready, and neither its organisation's limit of running tasks
 *   (`SLUICE_ORG_MAX_ACTIVE_TASKS`) nor, for a run that has not started, its
 *   DAG's `max_active_runs` stands in the way (counting the runs this engine
 *   runs: another orchestrator keeps its own limit, and a run it left
 *   `running` when it went down must not hold back the runs taken over);
 * - fair share: among organisations, a free slot goes to the one with the
 *   fewest running tasks (counting those this claim gives it), then to the
 *   oldest ready task.
 *
 * Why the limits are applied in SQL, before the LIMIT: a claim that first
 * takes the N oldest ready tasks and then skips those a limit forbids can
 * starve a task forever. Eleven uploads to one organisation left ten queued
 * runs of the ingest DAG (at its `max_active_runs`) in front of the running
 * run's next task; every claim took those ten, skipped them all, and the
 * whole engine (every organisation) stood still.
 *
 * The counts taken here come from this transaction's snapshot; a concurrent
 * claim may change them, so the caller re-counts under the organisation's
 * advisory lock before it takes a candidate (`RunStore.claimBatch`).
 */

export interface ClaimCandidate {
  run_id: string;
  task_id: string;
  org_id: string;
  dag_id: string;
  run_state: RunState;
  max_active_runs: number;
}

/**
 * Locks up to `limit` claimable tasks (SKIP LOCKED, so workers never wait
 * for each other) in fair-share order. Each organisation contributes at most
 * its free slots, each DAG at most its free run slots in runs not started
 * yet, so every candidate returned could be taken as the snapshot saw it.
 */
export async function lockClaimCandidates(tx: Queryable, options: { orgMaxActiveTasks: number; limit: number }): Promise<ClaimCandidate[]> {
  const { rows } = await tx.query<ClaimCandidate>(
    `WITH ready AS (
       SELECT ti.run_id, ti.task_id, ti.org_id, ti.available_at, ti.position,
              r.dag_id, r.state AS run_state, r.max_active_runs, r.queued_at
         FROM task_instances ti JOIN runs r ON r.id = ti.run_id
        WHERE ti.state IN ('queued', 'up_for_retry') AND ti.available_at <= now()
          AND r.state IN ('queued', 'running') AND NOT r.cancel_requested AND r.orchestrator = 'builtin'
     ), org_running AS (
       SELECT org_id, count(*)::int AS n FROM task_instances
        WHERE state = 'running' AND org_id IN (SELECT org_id FROM ready)
        GROUP BY org_id
     ), dag_running AS (
       SELECT org_id, dag_id, count(*)::int AS n FROM runs
        WHERE state = 'running' AND orchestrator = 'builtin' AND (org_id, dag_id) IN (SELECT org_id, dag_id FROM ready WHERE run_state = 'queued')
        GROUP BY org_id, dag_id
     ), run_slots AS (
       -- A run not started yet may start only within its DAG's free run slots, oldest run first
       -- (a run with two first tasks counts once: dense_rank).
       SELECT ready.*, COALESCE(o.n, 0) AS org_busy,
              CASE WHEN ready.run_state = 'queued'
                   THEN dense_rank() OVER (PARTITION BY ready.org_id, ready.dag_id, ready.run_state ORDER BY ready.queued_at, ready.run_id)
                        <= ready.max_active_runs - COALESCE(d.n, 0)
                   ELSE true END AS run_may_start
         FROM ready
         LEFT JOIN org_running o ON o.org_id = ready.org_id
         LEFT JOIN dag_running d ON d.org_id = ready.org_id AND d.dag_id = ready.dag_id
     ), org_slots AS (
       -- Ranked within the organisation only among tasks that may start, so that tasks a DAG
       -- limit holds back never use up the organisation's free slots.
       SELECT run_slots.*,
              row_number() OVER (PARTITION BY org_id ORDER BY available_at, position, run_id, task_id) AS org_rank
         FROM run_slots
        WHERE run_may_start
     ), candidates AS (
       SELECT run_id, task_id, org_id, dag_id, run_state, max_active_runs,
              org_busy + org_rank AS share, available_at, position
         FROM org_slots
        WHERE org_rank <= $1 - org_busy
     )
     SELECT c.run_id, c.task_id, c.org_id, c.dag_id, c.run_state, c.max_active_runs
       FROM candidates c JOIN task_instances ti ON ti.run_id = c.run_id AND ti.task_id = c.task_id
      WHERE ti.state IN ('queued', 'up_for_retry')
      ORDER BY c.share, c.available_at, c.position, c.run_id, c.task_id
      LIMIT $2
      FOR UPDATE OF ti SKIP LOCKED`,
    [options.orgMaxActiveTasks, options.limit],
  );
  return rows;
}
