import { z } from 'zod';
import type { ConnectionsService } from '../connections/index.js';
import type { Engine, RunView } from '../engine/index.js';
import { conflict, notFound, UserError } from '../errors/index.js';
import type { OrgsService } from '../auth/index.js';

export const AirflowTaskCall = z.object({
  dag_id: z.string().min(1).max(300),
  dag_run_id: z.string().min(1).max(300),
  task_id: z.string().min(1).max(200),
  try_number: z.number().int().min(1).max(1000),
  conf: z.record(z.string(), z.unknown()).default({}),
  scheduled_for: z.iso
    .datetime({ offset: true })
    .nullish()
    .describe("A scheduled Airflow run's fire time (its data interval's end); null for other runs. A fire time of the connection's schedule that already has a run (the builtin engine ran it while Airflow was down) is skipped."),
});
export type AirflowTaskCall = z.infer<typeof AirflowTaskCall>;

export const AirflowTaskAttempt = z.object({
  dag_id: z.string(),
  dag_run_id: z.string(),
  task_id: z.string(),
  try_number: z.number().int(),
  state: z.string().describe('running, success, failed, cancelled, or skipped: the fire time already ran as another run (`error` names it)'),
  error: z.string().nullable(),
  rows_in: z.number().nullable(),
  rows_out: z.number().nullable(),
  rows_rejected: z.number().nullable(),
});
export type AirflowTaskAttempt = z.infer<typeof AirflowTaskAttempt>;

/**
 * What Airflow's tasks call: "run task T of run R, try N", then "how is it
 * going". The run is created in Sluice on the first call when Airflow
 * started it (a schedule, the Airflow UI, a TriggerDagRunOperator), in the
 * organisation its DAG belongs to. Starting the same try twice starts it once.
 */
export class AirflowTasksService {
  constructor(
    private readonly engine: Engine,
    private readonly connections: ConnectionsService,
    private readonly orgs: OrgsService,
    private readonly leaseSeconds: number,
  ) {}

  async start(call: AirflowTaskCall): Promise<AirflowTaskAttempt> {
    const placed = await this.ensureRun(call);
    if ('ranAs' in placed) {
      const ran = placed.ranAs;
      return {
        ...attemptKey(call),
        state: 'skipped',
        error: `fire time ${call.scheduled_for} of ${call.dag_id} already ran as run ${ran.runId} (${ran.orchestrator}${ran.orchestrator === 'builtin' ? ', while Airflow was unreachable' : ''}); Airflow's run ${call.dag_run_id} skips it`,
        rows_in: null,
        rows_out: null,
        rows_rejected: null,
      };
    }
    const run = placed.run;
    if (!run.tasks.some((t) => t.taskId === call.task_id)) throw notFound('Task', `${call.dag_id}.${call.task_id}`);
    const claim = await this.engine.runs.startExternalAttempt(this.engine.pool.id, this.leaseSeconds, { runId: run.runId, taskId: call.task_id, tryNumber: call.try_number });
    if (claim) void this.engine.pool.executeExternal(claim);
    return this.status(call.dag_id, call.dag_run_id, call.task_id, call.try_number);
  }

  async status(dagId: string, runId: string, taskId: string, tryNumber: number): Promise<AirflowTaskAttempt> {
    const run = await this.engine.runs.findById(runId);
    if (!run || run.dagId !== dagId) throw notFound('Run', runId);
    const attempt = await this.engine.runs.attempt(runId, taskId, tryNumber);
    if (!attempt) throw notFound('Attempt', `${runId}/${taskId}/${tryNumber}`);
    return { dag_id: dagId, dag_run_id: runId, task_id: taskId, try_number: tryNumber, state: attempt.state, error: attempt.error, rows_in: attempt.rowsIn, rows_out: attempt.rowsOut, rows_rejected: attempt.rowsRejected };
  }

  /**
   * The run an Airflow run stands for, created on its first call. A
   * scheduled Airflow run of a connection's schedule is recorded with its
   * fire time; when that fire time has a run already (the builtin engine
   * fired it while Airflow was down, and Airflow caught it up on its
   * return), that run is `ranAs` and Airflow's run must not run again.
   */
  private async ensureRun(call: AirflowTaskCall): Promise<{ run: RunView } | { ranAs: RunView }> {
    const existing = await this.engine.runs.findById(call.dag_run_id);
    if (existing) {
      if (existing.dagId !== call.dag_id) throw conflict(`run ${call.dag_run_id} belongs to ${existing.dagId}, not ${call.dag_id}`);
      return { run: existing };
    }
    const resolved = this.engine.registry.resolve(call.dag_id);
    if (!resolved) throw notFound('DAG', call.dag_id);
    let orgId: string | undefined;
    if (resolved.connectionId) {
      orgId = await this.connections.orgOf(resolved.connectionId);
      if (!orgId) throw notFound('Connection', resolved.connectionId);
    } else {
      const named = call.conf.org_id ?? call.conf.client_id;
      if (typeof named !== 'string' && typeof named !== 'number') throw new UserError('invalid_config', `conf.org_id: required to run ${call.dag_id}`);
      orgId = (await this.orgs.get(String(named))).id;
    }
    const fireAt = call.scheduled_for ? new Date(call.scheduled_for) : undefined;
    const schedule = fireAt && resolved.connectionId ? await this.engine.schedules.findByConnection(orgId, resolved.connectionId) : undefined;
    const created = await this.engine.runs.createRun({
      runId: call.dag_run_id,
      orgId,
      dagId: call.dag_id,
      pipeline: resolved.pipeline,
      connectionId: resolved.connectionId,
      ...(schedule ? { scheduleId: schedule.scheduleId, fireAt } : {}),
      trigger: call.conf.upstream_run_id ? 'upstream' : 'airflow',
      conf: { ...call.conf, org_id: orgId },
      orchestrator: 'airflow',
      externalId: call.dag_run_id,
    });
    if (created) return { run: created };
    // Two tasks of a new run calling at once: the other call created it.
    const raced = await this.engine.runs.findById(call.dag_run_id);
    if (raced) return { run: raced };
    const ranAs = schedule && fireAt ? await this.engine.runs.findByFireTime(orgId, schedule.scheduleId, fireAt) : undefined;
    if (ranAs) return { ranAs };
    throw conflict(`run ${call.dag_run_id} could not be recorded`);
  }
}

const attemptKey = (call: AirflowTaskCall) => ({ dag_id: call.dag_id, dag_run_id: call.dag_run_id, task_id: call.task_id, try_number: call.try_number });
