import type { Queryable } from '../db/index.js';

/**
 * What `GET /metrics` reads from the database at each scrape: the state of
 * work across every process sharing it, so any replica answers the same.
 * Each query reads only active rows through a partial index (active runs,
 * claimable and running tasks, due schedules) or one row per schedule, so a
 * scrape costs the same with a year of finished runs as with none.
 */

/** Extra grouping, opt-in: the organisation, the DAG id (a connection's own DAG). */
export interface GaugeGrouping {
  org: boolean;
  dag: boolean;
}

export interface WorkCount {
  pipeline: string;
  dag: string;
  org: string;
  state: string;
  n: number;
}

/** Queued and running runs, per pipeline (and DAG, organisation) and state. */
export async function activeRuns(q: Queryable, by: GaugeGrouping): Promise<WorkCount[]> {
  const { rows } = await q.query<WorkCount>(
    `SELECT pipeline, ${by.dag ? 'dag_id' : "''"} AS dag, ${by.org ? 'org_id' : "''"} AS org, state, count(*)::int AS n
       FROM runs
      WHERE state IN ('queued', 'running')
      GROUP BY 1, 2, 3, 4`,
  );
  return rows;
}

/** Tasks waiting to be claimed (queued, up_for_retry) and running, per pipeline (and DAG, organisation) and state. */
export async function activeTasks(q: Queryable, by: GaugeGrouping): Promise<WorkCount[]> {
  const { rows } = await q.query<WorkCount>(
    `SELECT r.pipeline, ${by.dag ? 'r.dag_id' : "''"} AS dag, ${by.org ? 'ti.org_id' : "''"} AS org, ti.state, count(*)::int AS n
       FROM task_instances ti JOIN runs r ON r.id = ti.run_id
      WHERE ti.state IN ('queued', 'up_for_retry', 'running')
      GROUP BY 1, 2, 3, 4`,
  );
  return rows;
}

export interface QueueState {
  org: string;
  /** Tasks the builtin engine's workers could claim now. */
  ready: number;
  /** Seconds the longest-waiting of them has been claimable; 0 when none. */
  oldestSeconds: number;
}

/**
 * The builtin engine's queue: tasks claimable now (the claim's own
 * conditions: queued or up for retry, available, of an active run that is
 * not being cancelled and that the builtin engine runs). Airflow's runs
 * wait on Airflow, not on Sluice's workers, so they are not in it.
 */
export async function readyQueue(q: Queryable, by: Pick<GaugeGrouping, 'org'>): Promise<QueueState[]> {
  const { rows } = await q.query<{ org: string; ready: number; oldest: number | null }>(
    `SELECT ${by.org ? 'ti.org_id' : "''"} AS org, count(*)::int AS ready,
            EXTRACT(EPOCH FROM now() - min(ti.available_at))::float8 AS oldest
       FROM task_instances ti JOIN runs r ON r.id = ti.run_id
      WHERE ti.state IN ('queued', 'up_for_retry') AND ti.available_at <= now()
        AND r.state IN ('queued', 'running') AND NOT r.cancel_requested AND r.orchestrator = 'builtin'
      GROUP BY 1`,
  );
  return rows.map((r) => ({ org: r.org, ready: r.ready, oldestSeconds: Math.max(0, r.oldest ?? 0) }));
}

export interface ScheduleCounts {
  orchestrator: string;
  paused: boolean;
  n: number;
}

export async function scheduleCounts(q: Queryable): Promise<ScheduleCounts[]> {
  const { rows } = await q.query<ScheduleCounts>('SELECT orchestrator, paused, count(*)::int AS n FROM schedules GROUP BY 1, 2');
  return rows;
}

/**
 * Seconds since the most overdue of the builtin engine's schedules fell
 * due; 0 when none is due. The scheduler handles due schedules every
 * second, so anything above a few seconds means it is not running or stuck.
 */
export async function schedulerOverdue(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ overdue: number | null }>(
    `SELECT EXTRACT(EPOCH FROM now() - min(next_fire_at))::float8 AS overdue
       FROM schedules
      WHERE NOT paused AND orchestrator = 'builtin' AND next_fire_at <= now()`,
  );
  return Math.max(0, rows[0]?.overdue ?? 0);
}

/** Unpaused schedules whose latest run (by fire time) failed, (per organisation). */
export async function failingSchedules(q: Queryable, by: Pick<GaugeGrouping, 'org'>): Promise<{ org: string; n: number }[]> {
  const { rows } = await q.query<{ org: string; n: number }>(
    `SELECT ${by.org ? 's.org_id' : "''"} AS org, count(*)::int AS n
       FROM schedules s
       CROSS JOIN LATERAL (SELECT r.state FROM runs r WHERE r.schedule_id = s.id ORDER BY r.fire_at DESC LIMIT 1) latest
      WHERE NOT s.paused AND latest.state = 'failed'
      GROUP BY 1`,
  );
  return rows;
}
