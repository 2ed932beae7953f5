import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/index.js';
import { iso, isoOrNull, storableJson, storableText } from '../db/index.js';
import { UserError, notFound } from '../errors/index.js';
import type { PipelineDefinition, RunState, TaskState, TriggerKind, TriggerRule } from './model.js';
import { retryPolicy } from './retry-policy.js';
import { planAdvance, planRetry, type TaskSnapshot } from './states.js';
import { lockClaimCandidates, type ClaimCandidate } from './claim-tasks.js';

/**
 * Every SQL operation of the builtin orchestrator on runs and task
 * instances. Each method is one transaction (or one statement); every
 * query a caller can reach from the API carries the organisation.
 */

export interface TaskView {
  taskId: string;
  state: TaskState;
  tryNumber: number;
  maxAttempts: number;
  upstream: string[];
  startedAt: string | null;
  endedAt: string | null;
  rowsIn: number | null;
  rowsOut: number | null;
  rowsRejected: number | null;
  error: string | null;
  errorCode: string | null;
  output: Record<string, unknown> | null;
  /** The last progress the running task reported (kept after it ends). */
  progress: Record<string, unknown> | null;
}

/** A run as `GET /api/runs/:id` answers it (CONTRACT.md, Runs and schedules). */
export interface RunView {
  runId: string;
  dagId: string;
  orgId: string;
  pipeline: string;
  connectionId: string | null;
  scheduleId: string | null;
  state: RunState;
  trigger: TriggerKind;
  conf: Record<string, unknown>;
  fireAt: string | null;
  queuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  cancelRequested: boolean;
  orchestrator: string;
  externalId: string | null;
  error: string | null;
  tasks: TaskView[];
}

export interface CreateRunInput {
  orgId: string;
  dagId: string;
  pipeline: PipelineDefinition;
  connectionId?: string | null | undefined;
  scheduleId?: string | null | undefined;
  fireAt?: Date | null | undefined;
  trigger: TriggerKind;
  conf?: Record<string, unknown> | undefined;
  maxActiveRuns?: number | undefined;
  createdBy?: string | null | undefined;
  runId?: string | undefined;
  orchestrator?: string | undefined;
  /** The run's id in the orchestrator running it (Airflow's dag_run_id). */
  externalId?: string | undefined;
  /** Why the run runs where it does (a schedule of Airflow's fired on the builtin engine), shown as its `error` until it fails. */
  note?: string | undefined;
}

/** What a worker holds after a claim: enough to run the attempt and to report it. */
export interface ClaimedAttempt {
  runId: string;
  taskId: string;
  orgId: string;
  dagId: string;
  pipeline: string;
  connectionId: string | null;
  trigger: TriggerKind;
  conf: Record<string, unknown>;
  tryNumber: number;
  maxAttempts: number;
  runStartedAt: Date;
  /** When the run was queued and when the task became claimable: for lag measurements. */
  availableAt: Date;
  /** The run's tasks as the claim left them (what `taskStates` reads), when the claim read them. */
  runTasks?: RunTaskStates | undefined;
}

/** Each task of a run: its state, and its output once it succeeded (what downstream tasks read). */
export interface RunTaskStates {
  states: Record<string, TaskState>;
  outputs: Record<string, Record<string, unknown> | null>;
}

export type AttemptOutcome =
  | { kind: 'success'; rowsIn?: number | undefined; rowsOut?: number | undefined; rowsRejected?: number | undefined; output?: Record<string, unknown> | undefined }
  | { kind: 'failure'; error: string; errorCode: string | null; retryable: boolean; retryDelayMs: number }
  | { kind: 'cancelled'; error: string };

/**
 * Which attempts `reap` takes back from their workers:
 * - `expired`: any whose lease ran out (its worker stopped renewing it), except those `worker` still runs;
 * - `dead`: every attempt of these workers, whose processes are known to have died (see WorkerRegistry);
 * - `all`: every attempt but `worker`'s own: on the embedded database at start, where the data
 *   directory lock proves that no other process runs.
 */
export type ReapScope =
  | { kind: 'expired'; worker: string; running: readonly { runId: string; taskId: string }[] }
  | { kind: 'dead'; owners: readonly { id: string; why: string }[] }
  | { kind: 'all'; worker: string };

export interface ReapedAttempt {
  runId: string;
  taskId: string;
  tryNumber: number;
  owner: string | null;
  state: TaskState;
}

export interface RunFilters {
  connectionId?: string | undefined;
  dagId?: string | undefined;
  state?: RunState | undefined;
  limit?: number | undefined;
  before?: string | undefined;
}

export interface LogLine {
  runId: string;
  taskId: string;
  tryNumber: number;
  orgId: string;
  level: 'info' | 'warn' | 'error';
  message: string;
  data?: Record<string, unknown> | undefined;
  at: Date;
}

export interface LogView {
  id: number;
  taskId: string;
  tryNumber: number;
  at: string;
  level: string;
  message: string;
  data: Record<string, unknown> | null;
}

interface RunRow {
  id: string;
  org_id: string;
  dag_id: string;
  pipeline: string;
  connection_id: string | null;
  schedule_id: string | null;
  state: RunState;
  trigger: TriggerKind;
  conf: Record<string, unknown>;
  fire_at: Date | null;
  queued_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
  cancel_requested: boolean;
  orchestrator: string;
  external_id: string | null;
  error: string | null;
}

interface TaskRow {
  run_id: string;
  task_id: string;
  state: TaskState;
  position: number;
  upstream: string[];
  trigger_rule: TriggerRule;
  try_number: number;
  max_attempts: number;
  started_at: Date | null;
  ended_at: Date | null;
  rows_in: string | number | null;
  rows_out: string | number | null;
  rows_rejected: string | number | null;
  output: Record<string, unknown> | null;
  error: string | null;
  error_code: string | null;
  progress: Record<string, unknown> | null;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
const FINISHED: ReadonlySet<RunState> = new Set(['success', 'failed', 'cancelled']);

const taskView = (t: TaskRow): TaskView => ({
  taskId: t.task_id,
  state: t.state,
  tryNumber: t.try_number,
  maxAttempts: t.max_attempts,
  upstream: t.upstream,
  startedAt: isoOrNull(t.started_at),
  endedAt: isoOrNull(t.ended_at),
  rowsIn: num(t.rows_in),
  rowsOut: num(t.rows_out),
  rowsRejected: num(t.rows_rejected),
  error: t.error,
  errorCode: t.error_code,
  output: t.output,
  progress: t.progress ?? null,
});

const runView = (r: RunRow, tasks: TaskRow[]): RunView => ({
  runId: r.id,
  dagId: r.dag_id,
  orgId: r.org_id,
  pipeline: r.pipeline,
  connectionId: r.connection_id,
  scheduleId: r.schedule_id,
  state: r.state,
  trigger: r.trigger,
  conf: r.conf,
  fireAt: isoOrNull(r.fire_at),
  queuedAt: iso(r.queued_at),
  startedAt: isoOrNull(r.started_at),
  endedAt: isoOrNull(r.ended_at),
  cancelRequested: r.cancel_requested,
  orchestrator: r.orchestrator,
  externalId: r.external_id,
  error: r.error,
  tasks: tasks.map(taskView),
});

const snapshot = (t: Pick<TaskRow, 'task_id' | 'state' | 'upstream' | 'trigger_rule'>): TaskSnapshot => ({
  taskId: t.task_id,
  state: t.state,
  upstream: t.upstream,
  triggerRule: t.trigger_rule,
});

/** A claim's row (the run joined with the claimed task) as the worker holds it. */
type ClaimRow = RunRow & {
  try_number: number;
  max_attempts: number;
  available_at: Date;
  task_id: string;
  run_tasks?: { task_id: string; state: TaskState; output: Record<string, unknown> | null }[];
};

const claimedOf = (r: ClaimRow): ClaimedAttempt => ({
  runId: r.id,
  taskId: r.task_id,
  orgId: r.org_id,
  dagId: r.dag_id,
  pipeline: r.pipeline,
  connectionId: r.connection_id,
  trigger: r.trigger,
  conf: r.conf,
  tryNumber: r.try_number,
  maxAttempts: r.max_attempts,
  runStartedAt: r.started_at!,
  availableAt: r.available_at,
  runTasks: r.run_tasks ? runTaskStates(r.run_tasks) : undefined,
});

const runTaskStates = (rows: readonly { task_id: string; state: TaskState; output: Record<string, unknown> | null }[]): RunTaskStates => ({
  states: Object.fromEntries(rows.map((r) => [r.task_id, r.state])),
  outputs: Object.fromEntries(rows.map((r) => [r.task_id, r.output])),
});

/** `manual__20261121T075312Z_k3j9x2`: sortable, readable, unique, and a valid Airflow run id. */
export function newRunId(trigger: TriggerKind, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${trigger}__${stamp}_${randomBytes(4).toString('hex')}`;
}

const dagKey = (orgId: string, dagId: string): string => `${orgId}\u0000${dagId}`;

/** Key of the advisory lock that serialises claims of one organisation's tasks (its limits are counted under it). */
const ORG_LOCK_SPACE = 0x51c3;

export class RunStore {
  constructor(private readonly db: Database) {}

  /** Inserts a run with its task instances: tasks without upstream are queued, the others pending. */
  async createRun(input: CreateRunInput, tx?: Queryable): Promise<RunView | null> {
    const work = async (q: Queryable) => {
      const runId = input.runId ?? newRunId(input.trigger);
      const inserted = await q.query<RunRow>(
        `INSERT INTO runs (id, org_id, dag_id, pipeline, connection_id, schedule_id, state, trigger, conf, fire_at, max_active_runs, created_by, orchestrator, external_id, error)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8::jsonb, $9, $10, $11, $12, $13, $14)
         ON CONFLICT DO NOTHING
         RETURNING *`,
        [
          runId,
          input.orgId,
          input.dagId,
          input.pipeline.name,
          input.connectionId ?? null,
          input.scheduleId ?? null,
          input.trigger,
          storableJson(input.conf ?? {}),
          input.fireAt ?? null,
          input.maxActiveRuns ?? 1,
          input.createdBy ?? null,
          input.orchestrator ?? 'builtin',
          input.externalId ?? null,
          input.note ?? null,
        ],
      );
      const run = inserted.rows[0];
      if (!run) return null; // another scheduler created the run for this fire time first, or the run id exists
      // One statement for all the tasks: a scheduler creating a thousand runs in a tick feels every round trip.
      const defs = input.pipeline.tasks;
      const { rows: tasks } = await q.query<TaskRow>(
        `INSERT INTO task_instances (run_id, task_id, org_id, state, position, upstream, trigger_rule, max_attempts, available_at)
         SELECT $1, t.task_id, $2, t.state, t.position, ARRAY(SELECT jsonb_array_elements_text(t.upstream)), t.trigger_rule, t.max_attempts,
                CASE WHEN t.state = 'queued' THEN now() END
           FROM jsonb_to_recordset($3::jsonb) AS t(task_id text, state text, position int, upstream jsonb, trigger_rule text, max_attempts int)
         RETURNING *`,
        [
          runId,
          input.orgId,
          JSON.stringify(
            defs.map((task, position) => ({
              task_id: task.id,
              state: task.upstream.length === 0 ? 'queued' : 'pending',
              position,
              upstream: task.upstream,
              trigger_rule: task.triggerRule ?? 'all_success',
              max_attempts: retryPolicy(task.retry).maxAttempts,
            })),
          ),
        ],
      );
      tasks.sort((a, b) => a.position - b.position);
      return runView(run, tasks);
    };
    return tx ? work(tx) : this.db.transaction(work);
  }

  /**
   * Claims the next task ready to run, honouring the organisation's limit
   * on running tasks and the DAG's `max_active_runs`, or returns null.
   * Candidates are locked with SKIP LOCKED so workers sharing a server never
   * wait for each other; the organisation's limits are counted under an
   * advisory lock so two workers cannot both take its last free slot.
   */
  async claim(workerId: string, leaseSeconds: number, orgMaxActiveTasks: number): Promise<ClaimedAttempt | null> {
    return (await this.claimBatch(workerId, leaseSeconds, orgMaxActiveTasks, 1))[0] ?? null;
  }

  /**
   * Claims up to `limit` ready tasks in one transaction (a worker with free
   * slots fills them at once instead of queueing one claim per slot), in
   * fair-share order (see claim-tasks.ts). The candidates respect the limits
   * as this transaction's snapshot saw them; the counts are taken again under
   * each organisation's advisory lock, so concurrent claims never exceed them.
   */
  async claimBatch(workerId: string, leaseSeconds: number, orgMaxActiveTasks: number, limit: number): Promise<ClaimedAttempt[]> {
    if (limit <= 0) return [];
    // A handful of statements whatever the batch: under a burst every round trip of this
    // transaction delays every ready task behind it.
    return this.db.transaction(async (tx) => {
      const candidates = await lockClaimCandidates(tx, { orgMaxActiveTasks, limit });
      if (candidates.length === 0) return [];
      // The organisations' locks are taken in one order (sorted ids, in one statement that walks
      // the array in order), so two claims never wait on each other in a cycle; the running tasks
      // and runs are counted after, in a statement of their own, so its snapshot sees every claim
      // that held a lock before us.
      const orgs = [...new Set(candidates.map((c) => c.org_id))].sort();
      await tx.query('SELECT count(pg_advisory_xact_lock($1, hashtext(org))) FROM unnest($2::text[]) AS org', [ORG_LOCK_SPACE, orgs]);
      const startingDags = new Map(candidates.filter((c) => c.run_state === 'queued').map((c) => [dagKey(c.org_id, c.dag_id), c] as const));
      const { rows: counts } = await tx.query<{ kind: 'org' | 'dag'; org_id: string; dag_id: string | null; n: number }>(
        `SELECT 'org' AS kind, org_id, NULL::text AS dag_id, count(*)::int AS n FROM task_instances
          WHERE org_id = ANY($1::text[]) AND state = 'running' GROUP BY org_id
         UNION ALL
         SELECT 'dag', r.org_id, r.dag_id, count(*)::int FROM runs r
           JOIN unnest($2::text[], $3::text[]) AS d(org_id, dag_id) ON r.org_id = d.org_id AND r.dag_id = d.dag_id
          WHERE r.state = 'running' AND r.orchestrator = 'builtin' GROUP BY r.org_id, r.dag_id`,
        [orgs, [...startingDags.values()].map((c) => c.org_id), [...startingDags.values()].map((c) => c.dag_id)],
      );
      const running = new Map<string, number>(orgs.map((org) => [org, 0]));
      const activeRuns = new Map<string, number>([...startingDags.keys()].map((k) => [k, 0]));
      for (const c of counts) {
        if (c.kind === 'org') running.set(c.org_id, c.n);
        else activeRuns.set(dagKey(c.org_id, c.dag_id!), c.n);
      }
      const chosen: ClaimCandidate[] = [];
      const startedRuns = new Set<string>();
      for (const c of candidates) {
        if (chosen.length >= limit) break;
        if (running.get(c.org_id)! >= orgMaxActiveTasks) continue;
        if (c.run_state === 'queued' && !startedRuns.has(c.run_id)) {
          const key = dagKey(c.org_id, c.dag_id);
          if (activeRuns.get(key)! >= c.max_active_runs) continue;
          activeRuns.set(key, activeRuns.get(key)! + 1);
          startedRuns.add(c.run_id);
        }
        running.set(c.org_id, running.get(c.org_id)! + 1);
        chosen.push(c);
      }
      if (chosen.length === 0) return [];
      const { rows } = await tx.query<ClaimRow & { ord: number }>(
        `WITH chosen AS (
           SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(run_id, task_id, ord)
         ), task AS (
           UPDATE task_instances ti
              SET state = 'running', try_number = ti.try_number + 1, lease_owner = $3,
                  lease_expires_at = now() + make_interval(secs => $4), started_at = now(), ended_at = NULL,
                  error = NULL, error_code = NULL, progress = NULL
             FROM chosen
            WHERE ti.run_id = chosen.run_id AND ti.task_id = chosen.task_id
           RETURNING ti.run_id, ti.org_id, ti.try_number, ti.max_attempts, ti.available_at, ti.task_id, chosen.ord
         ), run AS (
           UPDATE runs SET state = 'running', started_at = COALESCE(started_at, now())
            WHERE id IN (SELECT run_id FROM chosen)
           RETURNING *
         ), attempt AS (
           INSERT INTO task_attempts (run_id, task_id, try_number, org_id, worker, state)
           SELECT run_id, task_id, try_number, org_id, $3, 'running' FROM task
           ON CONFLICT (run_id, task_id, try_number) DO UPDATE SET worker = EXCLUDED.worker, state = 'running', started_at = now(), ended_at = NULL, error = NULL
         )
         SELECT run.*, task.try_number, task.max_attempts, task.available_at, task.task_id, task.ord,
                -- The run's tasks for the attempt to read (the statement sees them as they were
                -- before it: the tasks it claims are running).
                (SELECT json_agg(json_build_object('task_id', x.task_id, 'output', x.output,
                          'state', CASE WHEN x.task_id IN (SELECT c.task_id FROM chosen c WHERE c.run_id = x.run_id) THEN 'running' ELSE x.state END))
                   FROM task_instances x WHERE x.run_id = task.run_id) AS run_tasks
           FROM task JOIN run ON run.id = task.run_id
          ORDER BY task.ord`,
        [chosen.map((c) => c.run_id), chosen.map((c) => c.task_id), workerId, leaseSeconds],
      );
      return rows.map(claimedOf);
    });
  }

  /**
   * Renews the leases of a worker's running attempts. Returns the attempts
   * it no longer owns (reaped after a stall) and those whose run was
   * cancelled: the worker aborts both.
   */
  async heartbeat(workerId: string, leaseSeconds: number, attempts: readonly { runId: string; taskId: string; tryNumber: number }[]): Promise<{ lost: string[]; cancelled: string[] }> {
    if (attempts.length === 0) return { lost: [], cancelled: [] };
    const { rows } = await this.db.query<{ run_id: string; task_id: string; try_number: number; cancel_requested: boolean }>(
      `UPDATE task_instances ti SET lease_expires_at = now() + make_interval(secs => $2)
         FROM runs r
        WHERE r.id = ti.run_id AND ti.lease_owner = $1 AND ti.state = 'running'
        RETURNING ti.run_id, ti.task_id, ti.try_number, r.cancel_requested`,
      [workerId, leaseSeconds],
    );
    const key = (runId: string, taskId: string, tryNumber: number) => `${runId}/${taskId}/${tryNumber}`;
    const held = new Map(rows.map((r) => [key(r.run_id, r.task_id, r.try_number), r.cancel_requested]));
    const lost: string[] = [];
    const cancelled: string[] = [];
    for (const a of attempts) {
      const k = key(a.runId, a.taskId, a.tryNumber);
      if (!held.has(k)) lost.push(k);
      else if (held.get(k)) cancelled.push(k);
    }
    return { lost, cancelled };
  }

  /**
   * Records how an attempt ended and moves the run on, in one transaction.
   * Returns null when the worker no longer owned the attempt (its lease ran
   * out and another worker failed it): the result is then dropped.
   */
  async completeAttempt(
    workerId: string,
    claim: Pick<ClaimedAttempt, 'runId' | 'taskId' | 'tryNumber'>,
    outcome: AttemptOutcome,
    logLines: readonly LogLine[] = [],
  ): Promise<{ runState: RunState; taskState: TaskState } | null> {
    // Three statements between BEGIN and COMMIT, the attempt's last log lines included: a worker
    // finishing short tasks spends most of its time here.
    return this.db.transaction(async (tx) => {
      const { rows: locked } = await tx.query<{ state: RunState; cancel_requested: boolean; max_attempts: number | null }>(
        `SELECT state, cancel_requested, (SELECT max_attempts FROM task_instances WHERE run_id = $1 AND task_id = $2) AS max_attempts
           FROM runs WHERE id = $1 FOR UPDATE`,
        [claim.runId, claim.taskId],
      );
      const run = locked[0];
      const state: TaskState =
        outcome.kind === 'success' ? 'success' : outcome.kind === 'cancelled' ? 'cancelled' : outcome.retryable && claim.tryNumber < (run?.max_attempts ?? 1) ? 'up_for_retry' : 'failed';
      const logs = logInsert(logLines, 13);
      // The SELECT at the end sees the task instances as they were before this statement; the task
      // just ended is read from what the UPDATE returned.
      const { rows: tasks } = await tx.query<Pick<TaskRow, 'task_id' | 'state' | 'upstream' | 'trigger_rule'> & { ended: boolean }>(
        `WITH ended AS (
           UPDATE task_instances
              SET state = $5, ended_at = CASE WHEN $5 = 'up_for_retry' THEN NULL ELSE now() END,
                  lease_owner = NULL, lease_expires_at = NULL,
                  available_at = CASE WHEN $5 = 'up_for_retry' THEN now() + make_interval(secs => $6::double precision / 1000) ELSE available_at END,
                  rows_in = COALESCE($7, rows_in), rows_out = COALESCE($8, rows_out), rows_rejected = COALESCE($9, rows_rejected),
                  output = COALESCE($10::jsonb, output), error = $11, error_code = $12
            WHERE run_id = $1 AND task_id = $2 AND try_number = $3 AND lease_owner = $4 AND state = 'running'
           RETURNING task_id, state
         ), attempt AS (
           UPDATE task_attempts SET state = CASE WHEN $5 = 'up_for_retry' THEN 'failed' ELSE $5 END, ended_at = now(), error = $11
            WHERE run_id = $1 AND task_id = $2 AND try_number = $3 AND EXISTS (SELECT 1 FROM ended)
         )${logs.sql === '' ? '' : `, logs AS (${logs.sql})`}
         SELECT ti.task_id, COALESCE(ended.state, ti.state) AS state, ti.upstream, ti.trigger_rule, ended.task_id IS NOT NULL AS ended
           FROM task_instances ti LEFT JOIN ended ON ended.task_id = ti.task_id
          WHERE ti.run_id = $1`,
        [
          claim.runId,
          claim.taskId,
          claim.tryNumber,
          workerId,
          state,
          outcome.kind === 'failure' ? outcome.retryDelayMs : 0,
          outcome.kind === 'success' ? (outcome.rowsIn ?? null) : null,
          outcome.kind === 'success' ? (outcome.rowsOut ?? null) : null,
          outcome.kind === 'success' ? (outcome.rowsRejected ?? null) : null,
          outcome.kind === 'success' && outcome.output ? storableJson(outcome.output) : null,
          outcome.kind === 'success' ? null : storableText(outcome.error),
          outcome.kind === 'failure' ? outcome.errorCode : null,
          ...logs.params,
        ],
      );
      if (!run || !tasks.some((t) => t.ended)) return null;
      const runState = await advanceRun(tx, claim.runId, { run, tasks });
      return { runState, taskState: state };
    });
  }

  /**
   * Fails (and, with tries left, retries) attempts whose worker is gone, in
   * batches of 100: see ReapScope for which. The attempt's row says why.
   */
  async reap(scope: ReapScope, retryDelayMs: (pipeline: string, taskId: string, nextTry: number) => number): Promise<ReapedAttempt[]> {
    return this.db.transaction(async (tx) => {
      const which =
        scope.kind === 'expired'
          ? {
              where: `ti.lease_expires_at < now()
                      AND (ti.lease_owner IS DISTINCT FROM $1 OR (ti.run_id, ti.task_id) NOT IN (SELECT * FROM unnest($2::text[], $3::text[])))`,
              params: [scope.worker, scope.running.map((a) => a.runId), scope.running.map((a) => a.taskId)],
            }
          : scope.kind === 'dead'
            ? { where: 'ti.lease_owner = ANY($1::text[])', params: [scope.owners.map((o) => o.id)] }
            : { where: 'ti.lease_owner IS DISTINCT FROM $1', params: [scope.worker] };
      const { rows } = await tx.query<{ run_id: string; task_id: string; try_number: number; max_attempts: number; lease_owner: string | null; lease_expires_at: Date | null; pipeline: string; cancel_requested: boolean }>(
        `SELECT ti.run_id, ti.task_id, ti.try_number, ti.max_attempts, ti.lease_owner, ti.lease_expires_at, r.pipeline, r.cancel_requested
           FROM task_instances ti JOIN runs r ON r.id = ti.run_id
          WHERE ti.state = 'running' AND ${which.where}
          ORDER BY ti.lease_expires_at
          LIMIT 100
          FOR UPDATE OF ti SKIP LOCKED`,
        which.params,
      );
      const reaped: ReapedAttempt[] = [];
      for (const r of rows) {
        const retry = !r.cancel_requested && r.try_number < r.max_attempts;
        const state: TaskState = r.cancel_requested ? 'cancelled' : retry ? 'up_for_retry' : 'failed';
        const owner = r.lease_owner ?? 'unknown';
        const error =
          scope.kind === 'expired'
            ? `the worker running try ${r.try_number} (${owner}) stopped renewing its lease${r.lease_expires_at ? ` (expired ${iso(r.lease_expires_at)})` : ''}; it was killed or lost`
            : scope.kind === 'dead'
              ? `the worker running try ${r.try_number} (${owner}) is gone: ${scope.owners.find((o) => o.id === r.lease_owner)?.why ?? 'its process is no longer running'}; its task was taken back at once`
              : `try ${r.try_number} was left running by a Sluice process (${owner}) that stopped without finishing it (killed or crashed); the process that took the data directory over took it back at start`;
        // A worker that died says nothing about the task: run it again at once. A lease that ran out
        // may be a worker cut off rather than dead, so that one waits the backoff.
        const delayMs = retry && scope.kind === 'expired' ? retryDelayMs(r.pipeline, r.task_id, r.try_number + 1) : 0;
        await tx.query('SELECT 1 FROM runs WHERE id = $1 FOR UPDATE', [r.run_id]);
        await tx.query(
          `UPDATE task_instances SET state = $3, lease_owner = NULL, lease_expires_at = NULL, error = $4, error_code = 'worker_lost',
                  ended_at = CASE WHEN $3 = 'up_for_retry' THEN NULL ELSE now() END,
                  available_at = CASE WHEN $3 = 'up_for_retry' THEN now() + make_interval(secs => $5::double precision / 1000) ELSE available_at END
            WHERE run_id = $1 AND task_id = $2`,
          [r.run_id, r.task_id, state, error, delayMs],
        );
        await tx.query("UPDATE task_attempts SET state = 'failed', ended_at = now(), error = $4 WHERE run_id = $1 AND task_id = $2 AND try_number = $3", [r.run_id, r.task_id, r.try_number, error]);
        await advanceRun(tx, r.run_id);
        reaped.push({ runId: r.run_id, taskId: r.task_id, tryNumber: r.try_number, owner: r.lease_owner, state });
      }
      return reaped;
    });
  }

  /**
   * A run by its id alone. Only for callers that are not tenants (Airflow's
   * task calls, authenticated with the platform's Airflow token); every
   * tenant-facing read goes through `get(orgId, runId)`.
   */
  async findById(runId: string): Promise<RunView | undefined> {
    const { rows } = await this.db.query<RunRow>('SELECT * FROM runs WHERE id = $1', [runId]);
    if (!rows[0]) return undefined;
    return (await this.#withTasks(rows))[0]!;
  }

  /**
   * Starts try `tryNumber` of one task of a run Airflow orchestrates,
   * whatever its upstream tasks' states here (Airflow decides when a task
   * runs). Idempotent per (run, task, try): asking again for a try that
   * already started returns null and starts nothing. Airflow does the
   * retrying, so Sluice never retries such an attempt itself.
   */
  async startExternalAttempt(workerId: string, leaseSeconds: number, key: { runId: string; taskId: string; tryNumber: number }): Promise<ClaimedAttempt | null> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM runs WHERE id = $1 FOR UPDATE', [key.runId]);
      const { rows: existing } = await tx.query('SELECT 1 FROM task_attempts WHERE run_id = $1 AND task_id = $2 AND try_number = $3', [key.runId, key.taskId, key.tryNumber]);
      if (existing.length > 0) return null;
      const { rows } = await tx.query<ClaimRow>(
        `WITH task AS (
           UPDATE task_instances
              SET state = 'running', try_number = $3, max_attempts = $3, lease_owner = $4,
                  lease_expires_at = now() + make_interval(secs => $5), started_at = now(), ended_at = NULL,
                  available_at = now(), error = NULL, error_code = NULL, progress = NULL
            WHERE run_id = $1 AND task_id = $2
            RETURNING try_number, max_attempts, available_at, task_id
         ), run AS (
           UPDATE runs SET state = 'running', started_at = COALESCE(started_at, now()), ended_at = NULL
            WHERE id = $1 AND EXISTS (SELECT 1 FROM task)
            RETURNING *
         )
         SELECT run.*, task.* FROM run, task`,
        [key.runId, key.taskId, key.tryNumber, workerId, leaseSeconds],
      );
      const r = rows[0];
      if (!r) throw notFound('Task', `${key.runId}/${key.taskId}`);
      await tx.query("INSERT INTO task_attempts (run_id, task_id, try_number, org_id, worker, state) VALUES ($1, $2, $3, $4, $5, 'running')", [
        key.runId,
        key.taskId,
        key.tryNumber,
        r.org_id,
        workerId,
      ]);
      return claimedOf(r);
    });
  }

  /** Moves a run that has not started to another orchestrator (Airflow could not take it), noting why. */
  async handOver(runId: string, orchestrator: 'builtin' | 'airflow', note: string): Promise<void> {
    await this.db.query("UPDATE runs SET orchestrator = $2, external_id = NULL, error = $3 WHERE id = $1 AND state = 'queued'", [runId, orchestrator, note]);
  }

  /** Ends a run that never started as failed (its orchestrator refused it). */
  async failUnstarted(runId: string, error: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query("UPDATE task_instances SET state = 'cancelled', ended_at = now() WHERE run_id = $1 AND state IN ('pending', 'queued')", [runId]);
      await tx.query("UPDATE runs SET state = 'failed', ended_at = now(), error = $2 WHERE id = $1 AND state = 'queued'", [runId, error.slice(0, 2000)]);
    });
  }

  /** Queued or running runs of an external orchestrator, oldest first (for copying their states). */
  async activeExternal(orchestrator: string, limit: number): Promise<RunView[]> {
    const { rows } = await this.db.query<RunRow>("SELECT * FROM runs WHERE orchestrator = $1 AND state IN ('queued', 'running') ORDER BY queued_at LIMIT $2", [orchestrator, limit]);
    return this.#withTasks(rows);
  }

  /** How one try of a task went, as Airflow's polling task asks for it. */
  async attempt(runId: string, taskId: string, tryNumber: number): Promise<{ state: string; error: string | null; rowsIn: number | null; rowsOut: number | null; rowsRejected: number | null } | undefined> {
    const { rows } = await this.db.query<{ state: string; error: string | null; rows_in: string | null; rows_out: string | null; rows_rejected: string | null; current_try: number }>(
      `SELECT a.state, a.error, ti.rows_in, ti.rows_out, ti.rows_rejected, ti.try_number AS current_try
         FROM task_attempts a JOIN task_instances ti ON ti.run_id = a.run_id AND ti.task_id = a.task_id
        WHERE a.run_id = $1 AND a.task_id = $2 AND a.try_number = $3`,
      [runId, taskId, tryNumber],
    );
    const r = rows[0];
    if (!r) return undefined;
    const counts = r.current_try === tryNumber;
    return { state: r.state, error: r.error, rowsIn: counts ? num(r.rows_in) : null, rowsOut: counts ? num(r.rows_out) : null, rowsRejected: counts ? num(r.rows_rejected) : null };
  }

  /**
   * Copies a task state Airflow reports (a task Airflow ran itself, such as
   * a TriggerDagRunOperator, or the end of a run) into Sluice's records.
   */
  async mirror(runId: string, tasks: readonly { taskId: string; state: TaskState; tryNumber: number; startedAt: Date | null; endedAt: Date | null }[], runState: RunState | null): Promise<RunState | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ state: RunState }>('SELECT state FROM runs WHERE id = $1 FOR UPDATE', [runId]);
      if (!rows[0]) return undefined;
      for (const t of tasks) {
        await tx.query(
          `UPDATE task_instances SET state = $3, try_number = GREATEST(try_number, $4), started_at = COALESCE($5, started_at), ended_at = COALESCE($6, ended_at)
            WHERE run_id = $1 AND task_id = $2 AND state <> 'running' AND state IS DISTINCT FROM $3`,
          [runId, t.taskId, t.state, t.tryNumber, t.startedAt, t.endedAt],
        );
      }
      const state = await advanceRun(tx, runId);
      if (runState && FINISHED.has(runState) && !FINISHED.has(state)) {
        await tx.query("UPDATE runs SET state = $2, ended_at = now() WHERE id = $1 AND state IN ('queued', 'running')", [runId, runState]);
        return runState;
      }
      return state;
    });
  }

  async get(orgId: string, runId: string): Promise<RunView> {
    const { rows } = await this.db.query<RunRow>('SELECT * FROM runs WHERE org_id = $1 AND id = $2', [orgId, runId]);
    if (!rows[0]) throw notFound('Run', runId);
    return (await this.#withTasks(rows))[0]!;
  }

  async list(orgId: string, filters: RunFilters = {}): Promise<RunView[]> {
    const { rows } = await this.db.query<RunRow>(
      `SELECT * FROM runs
        WHERE org_id = $1
          AND ($2::text IS NULL OR connection_id = $2)
          AND ($3::text IS NULL OR dag_id = $3)
          AND ($4::text IS NULL OR state = $4)
          AND ($5::timestamptz IS NULL OR queued_at < $5)
        ORDER BY queued_at DESC, id DESC
        LIMIT $6`,
      [orgId, filters.connectionId ?? null, filters.dagId ?? null, filters.state ?? null, filters.before ?? null, filters.limit ?? 50],
    );
    return this.#withTasks(rows);
  }

  /**
   * Per table (`conf.table`) and DAG, the latest run and the failed runs of
   * the last `days`: what the pipeline status of an organisation shows.
   */
  async latestByTable(orgId: string, dagIds: readonly string[], days = 7): Promise<{ table: string; dagId: string; latest: RunView; failures: number }[]> {
    const { rows } = await this.db.query<RunRow & { table_name: string; failures: number }>(
      `SELECT DISTINCT ON (r.conf->>'table', r.dag_id) r.*, r.conf->>'table' AS table_name,
              (SELECT count(*)::int FROM runs f
                WHERE f.org_id = r.org_id AND f.dag_id = r.dag_id AND f.conf->>'table' = r.conf->>'table'
                  AND f.state = 'failed' AND f.queued_at >= now() - make_interval(days => $3)) AS failures
         FROM runs r
        WHERE r.org_id = $1 AND r.dag_id = ANY($2) AND r.conf ? 'table'
        ORDER BY r.conf->>'table', r.dag_id, r.queued_at DESC, r.id DESC`,
      [orgId, dagIds, days],
    );
    const views = await this.#withTasks(rows);
    return rows.map((r, i) => ({ table: r.table_name, dagId: r.dag_id, latest: views[i]!, failures: r.failures }));
  }

  /**
   * The latest run of each connection of an organisation (runs that carry a
   * connection: `etl_workflow_<id>`), with its failed runs of the last `days` days.
   */
  async latestByConnection(orgId: string, days = 7): Promise<{ connectionId: string; latest: RunView; failures: number }[]> {
    const { rows } = await this.db.query<RunRow & { failures: number }>(
      `SELECT DISTINCT ON (r.connection_id) r.*,
              (SELECT count(*)::int FROM runs f
                WHERE f.org_id = r.org_id AND f.connection_id = r.connection_id
                  AND f.state = 'failed' AND f.queued_at >= now() - make_interval(days => $2)) AS failures
         FROM runs r
        WHERE r.org_id = $1 AND r.connection_id IS NOT NULL
        ORDER BY r.connection_id, r.queued_at DESC, r.id DESC`,
      [orgId, days],
    );
    const views = await this.#withTasks(rows);
    return rows.map((r, i) => ({ connectionId: r.connection_id!, latest: views[i]!, failures: r.failures }));
  }

  /** The fire time of each schedule's latest run (schedules that never fired are absent). */
  async lastFireTimes(orgId: string, scheduleIds: readonly string[]): Promise<Map<string, string>> {
    if (scheduleIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ schedule_id: string; fire_at: Date }>(
      'SELECT schedule_id, max(fire_at) AS fire_at FROM runs WHERE org_id = $1 AND schedule_id = ANY($2::text[]) AND fire_at IS NOT NULL GROUP BY schedule_id',
      [orgId, scheduleIds],
    );
    return new Map(rows.map((r) => [r.schedule_id, iso(r.fire_at)]));
  }

  /** Runs as the API shows them, their task instances read in one query for all of them. */
  async #withTasks(rows: readonly RunRow[]): Promise<RunView[]> {
    if (rows.length === 0) return [];
    const tasks = await this.db.query<TaskRow>('SELECT * FROM task_instances WHERE run_id = ANY($1) ORDER BY run_id, position', [rows.map((r) => r.id)]);
    const byRun = new Map<string, TaskRow[]>();
    for (const t of tasks.rows) byRun.set(t.run_id, [...(byRun.get(t.run_id) ?? []), t]);
    return rows.map((r) => runView(r, byRun.get(r.id) ?? []));
  }

  /** Whether the DAG has a run queued or running (the schedules' overlap policy), on `orchestrator` when given. */
  async hasActiveRun(orgId: string, dagId: string, tx?: Queryable, orchestrator?: string): Promise<boolean> {
    const { rows } = await (tx ?? this.db).query(
      "SELECT 1 FROM runs WHERE org_id = $1 AND dag_id = $2 AND state IN ('queued', 'running') AND ($3::text IS NULL OR orchestrator = $3) LIMIT 1",
      [orgId, dagId, orchestrator ?? null],
    );
    return rows.length > 0;
  }

  /** The run of a schedule's fire time, if one was created (by either orchestrator). */
  async findByFireTime(orgId: string, scheduleId: string, fireAt: Date): Promise<RunView | undefined> {
    const { rows } = await this.db.query<RunRow>('SELECT * FROM runs WHERE org_id = $1 AND schedule_id = $2 AND fire_at = $3', [orgId, scheduleId, fireAt]);
    return (await this.#withTasks(rows))[0];
  }

  /**
   * Asks a run to stop: waiting tasks are cancelled at once, running ones
   * when their worker notices (at once in this process, at its next
   * heartbeat elsewhere). A finished run is a 409.
   */
  async cancel(orgId: string, runId: string): Promise<RunState> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ state: RunState }>('SELECT state FROM runs WHERE org_id = $1 AND id = $2 FOR UPDATE', [orgId, runId]);
      const run = rows[0];
      if (!run) throw notFound('Run', runId);
      if (run.state !== 'queued' && run.state !== 'running') {
        throw new UserError('conflict', `run ${runId} already ended (${run.state}); only a queued or running run can be cancelled`);
      }
      await tx.query('UPDATE runs SET cancel_requested = true WHERE id = $1', [runId]);
      return advanceRun(tx, runId);
    });
  }

  /** Runs the failed part of a finished run again (planRetry); a run that did not fail is a 409. */
  async retry(orgId: string, runId: string, tryBudget: (pipeline: string, taskId: string) => number): Promise<RunView> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ state: RunState; pipeline: string }>('SELECT state, pipeline FROM runs WHERE org_id = $1 AND id = $2 FOR UPDATE', [orgId, runId]);
      const run = rows[0];
      if (!run) throw notFound('Run', runId);
      if (run.state !== 'failed' && run.state !== 'cancelled') {
        throw new UserError('conflict', `run ${runId} is ${run.state}; only a failed or cancelled run can be retried`);
      }
      const tasks = await tx.query<TaskRow>('SELECT * FROM task_instances WHERE run_id = $1 ORDER BY position', [runId]);
      for (const change of planRetry(tasks.rows.map(snapshot))) {
        const task = tasks.rows.find((t) => t.task_id === change.taskId)!;
        await tx.query(
          `UPDATE task_instances SET state = $3, max_attempts = try_number + $4, available_at = CASE WHEN $3 = 'queued' THEN now() END,
                  started_at = NULL, ended_at = NULL, error = NULL, error_code = NULL, rows_in = NULL, rows_out = NULL, rows_rejected = NULL, output = NULL
            WHERE run_id = $1 AND task_id = $2`,
          [runId, change.taskId, change.state, Math.max(1, tryBudget(run.pipeline, task.task_id))],
        );
      }
      await tx.query("UPDATE runs SET state = 'queued', cancel_requested = false, ended_at = NULL, error = NULL WHERE id = $1", [runId]);
    });
    return this.get(orgId, runId);
  }

  /** Stores a running attempt's progress; ignored once the worker no longer owns it. */
  async saveProgress(workerId: string, claim: Pick<ClaimedAttempt, 'runId' | 'taskId' | 'tryNumber'>, progress: Record<string, unknown>): Promise<void> {
    await this.db.query(
      "UPDATE task_instances SET progress = $5::jsonb WHERE run_id = $1 AND task_id = $2 AND try_number = $3 AND lease_owner = $4 AND state = 'running'",
      [claim.runId, claim.taskId, claim.tryNumber, workerId, storableJson(progress)],
    );
  }

  /**
   * Deletes runs that ended before `endedBefore`, with their task
   * instances, attempts and logs (by cascade) and notification deliveries;
   * returns how many runs. In batches, so a first prune of a long history
   * does not hold locks for long.
   */
  async prune(endedBefore: Date, batch = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await this.db.query<{ id: string }>(
        `DELETE FROM runs WHERE id IN (
           SELECT id FROM runs WHERE state IN ('success', 'failed', 'cancelled') AND ended_at < $1 LIMIT $2
         ) RETURNING id`,
        [endedBefore, batch],
      );
      if (rows.length > 0) await this.db.query('DELETE FROM notification_deliveries WHERE run_id = ANY($1)', [rows.map((r) => r.id)]);
      total += rows.length;
      if (rows.length < batch) return total;
    }
  }

  /**
   * Refreshes the planner's statistics of the engine's tables. A server's
   * autovacuum does this by itself; the embedded database has none, and
   * without statistics the claim query scans every run (45–95 ms instead of
   * 2 ms with a thousand active runs, measured by bench/scheduler).
   */
  async analyze(): Promise<void> {
    await this.db.exec('ANALYZE runs, task_instances, task_attempts, schedules');
  }

  async appendLogs(lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    const { sql, params } = logInsert(lines, 1);
    await this.db.query(sql, params);
  }

  async logs(orgId: string, runId: string, options: { taskId?: string | undefined; afterId?: number | undefined; limit?: number | undefined } = {}): Promise<LogView[]> {
    await this.assertRun(orgId, runId);
    const { rows } = await this.db.query<{ id: string | number; task_id: string; try_number: number; at: Date; level: string; message: string; data: Record<string, unknown> | null }>(
      `SELECT id, task_id, try_number, at, level, message, data FROM task_logs
        WHERE org_id = $1 AND run_id = $2 AND ($3::text IS NULL OR task_id = $3) AND id > $4
        ORDER BY id LIMIT $5`,
      [orgId, runId, options.taskId ?? null, options.afterId ?? 0, options.limit ?? 1000],
    );
    return rows.map((r) => ({ id: Number(r.id), taskId: r.task_id, tryNumber: r.try_number, at: iso(r.at), level: r.level, message: r.message, data: r.data }));
  }

  /** The outputs and states of a run's tasks, for a task's context. */
  async taskStates(runId: string): Promise<RunTaskStates> {
    const { rows } = await this.db.query<{ task_id: string; state: TaskState; output: Record<string, unknown> | null }>('SELECT task_id, state, output FROM task_instances WHERE run_id = $1', [runId]);
    return runTaskStates(rows);
  }

  private async assertRun(orgId: string, runId: string): Promise<void> {
    const { rows } = await this.db.query('SELECT 1 FROM runs WHERE org_id = $1 AND id = $2', [orgId, runId]);
    if (rows.length === 0) throw notFound('Run', runId);
  }
}

/** Applies planAdvance to a run whose row the caller has locked; returns the run's state after it. */
export async function advanceRun(
  tx: Queryable,
  runId: string,
  known?: { run: { state: RunState; cancel_requested: boolean }; tasks: readonly Pick<TaskRow, 'task_id' | 'state' | 'upstream' | 'trigger_rule'>[] },
): Promise<RunState> {
  let run = known?.run;
  if (!run) run = (await tx.query<{ state: RunState; cancel_requested: boolean }>('SELECT state, cancel_requested FROM runs WHERE id = $1', [runId])).rows[0]!;
  const tasks = known?.tasks ?? (await tx.query<TaskRow>('SELECT task_id, state, upstream, trigger_rule FROM task_instances WHERE run_id = $1', [runId])).rows;
  const plan = planAdvance(tasks.map(snapshot), { cancelRequested: run.cancel_requested });
  if (plan.changes.length > 0) {
    await tx.query(
      `UPDATE task_instances ti SET state = c.state,
              available_at = CASE WHEN c.state = 'queued' THEN now() ELSE ti.available_at END,
              ended_at = CASE WHEN c.state = 'queued' THEN NULL ELSE now() END
         FROM unnest($2::text[], $3::text[]) AS c(task_id, state)
        WHERE ti.run_id = $1 AND ti.task_id = c.task_id`,
      [runId, plan.changes.map((c) => c.taskId), plan.changes.map((c) => c.state)],
    );
  }
  if (plan.runState && plan.runState !== run.state) {
    await tx.query(
      `UPDATE runs SET state = $2, ended_at = now(),
              error = CASE WHEN $2 = 'failed'
                           THEN (SELECT task_id || ': ' || COALESCE(error, 'failed') FROM task_instances WHERE run_id = $1 AND state = 'failed' ORDER BY position LIMIT 1)
                           ELSE error
                      END
        WHERE id = $1`,
      [runId, plan.runState],
    );
    return plan.runState;
  }
  return run.state;
}

/** The INSERT of task log lines, its parameters numbered from `first` (to stand alone or inside a larger statement). */
function logInsert(lines: readonly LogLine[], first: number): { sql: string; params: unknown[] } {
  if (lines.length === 0) return { sql: '', params: [] };
  const types = ['text', 'text', 'int', 'text', 'text', 'text', 'jsonb', 'timestamptz'];
  return {
    sql: `INSERT INTO task_logs (run_id, task_id, try_number, org_id, level, message, data, at)
          SELECT * FROM unnest(${types.map((t, i) => `$${first + i}::${t}[]`).join(', ')})`,
    params: [
      lines.map((l) => l.runId),
      lines.map((l) => l.taskId),
      lines.map((l) => l.tryNumber),
      lines.map((l) => l.orgId),
      lines.map((l) => l.level),
      lines.map((l) => storableText(l.message)),
      lines.map((l) => (l.data === undefined ? null : storableJson(l.data))),
      lines.map((l) => l.at),
    ],
  };
}
