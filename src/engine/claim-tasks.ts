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
 * its free slots, and a run not started yet only within its DAG's free run
 * slots, so every candidate returned could be taken as the snapshot saw it.
 *
 * The work is bounded by the organisations with ready tasks times `limit`,
 * not by the depth of the queue: the organisations are found by a skip scan
 * of the ready index (one probe each), and each gives its oldest claimable
 * tasks by an index scan that stops at `limit`. A queued run may start when
 * fewer than `max_active_runs` runs of its DAG are running or queued before
 * it (counted up to the limit, so a long queue costs no more than a short
 * one): the oldest queued runs start first.
 */
export async function lockClaimCandidates(tx: Queryable, options: { orgMaxActiveTasks: number; limit: number }): Promise<ClaimCandidate[]> {
  const { rows } = await tx.query<ClaimCandidate>(
    `WITH RECURSIVE ready_orgs AS (
       (SELECT org_id FROM task_instances WHERE state IN ('queued', 'up_for_retry') ORDER BY org_id LIMIT 1)
       UNION ALL
       SELECT (SELECT ti.org_id FROM task_instances ti
                WHERE ti.state IN ('queued', 'up_for_retry') AND ti.org_id > ready_orgs.org_id
                ORDER BY ti.org_id LIMIT 1)
         FROM ready_orgs WHERE ready_orgs.org_id IS NOT NULL
     ), candidates AS (
       SELECT c.run_id, c.task_id, o.org_id, c.dag_id, c.run_state, c.max_active_runs, c.available_at, c.position,
              busy.n + row_number() OVER (PARTITION BY o.org_id ORDER BY c.available_at, c.position, c.run_id, c.task_id) AS share
         FROM ready_orgs o
        CROSS JOIN LATERAL (
          SELECT count(*)::int AS n FROM task_instances WHERE org_id = o.org_id AND state = 'running'
        ) busy
        CROSS JOIN LATERAL (
          SELECT ti.run_id, ti.task_id, ti.available_at, ti.position, r.dag_id, r.state AS run_state, r.max_active_runs
            FROM task_instances ti JOIN runs r ON r.id = ti.run_id
           WHERE ti.org_id = o.org_id AND ti.state IN ('queued', 'up_for_retry') AND ti.available_at <= now()
             AND r.state IN ('queued', 'running') AND NOT r.cancel_requested AND r.orchestrator = 'builtin'
             AND (r.state = 'running' OR (
                   SELECT count(*) FROM (
                     SELECT 1 FROM runs ahead
                      WHERE ahead.org_id = r.org_id AND ahead.dag_id = r.dag_id AND ahead.orchestrator = 'builtin'
                        AND ahead.state IN ('queued', 'running')
                        AND (ahead.state = 'running' OR (NOT ahead.cancel_requested AND (ahead.queued_at, ahead.id) < (r.queued_at, r.id)))
                      LIMIT r.max_active_runs
                   ) AS held
                 ) < r.max_active_runs)
           ORDER BY ti.available_at, ti.position, ti.run_id, ti.task_id
           LIMIT GREATEST(0, LEAST($2, $1 - busy.n))
        ) c
        WHERE o.org_id IS NOT NULL
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
