import { newRunId, type Engine, type PipelineDefinition, type RunView, type ScheduleView, type TaskState, type TriggerRequest } from '../../engine/index.js';
import { isAppError, UserError } from '../../errors/index.js';
import type { Logger } from '../../logger.js';
import type { BuiltinOrchestrator } from '../builtin.orchestrator.js';
import type { Orchestrator } from '../orchestrator.js';
import type { AirflowClient, AirflowTaskInstance } from './client.js';
import { DagFolder, dagFileName, dagSpecFor } from './dag-files.js';

export interface AirflowOrchestratorOptions {
  client: AirflowClient;
  /** AIRFLOW_DAGS_FOLDER; without it DAG files cannot be written from this process (`sluice airflow sync` where the folder is). */
  dagsFolder: string | undefined;
  engine: Engine;
  builtin: BuiltinOrchestrator;
  fallback: 'builtin' | 'fail';
  logger: Logger;
  /** How long a trigger waits for Airflow to parse a DAG file it just wrote. Default 90 s. */
  parseTimeoutMs?: number;
  /** How often Airflow's run states are copied into Sluice's runs. Default 5 s. */
  mirrorIntervalMs?: number;
}

/** The DAG file of a scheduled connection: its CRON and timezone, paused as the schedule is. */
const scheduleSpec = (pipeline: PipelineDefinition, schedule: ScheduleView) =>
  dagSpecFor(pipeline, schedule.dagId, {
    schedule: { cron: schedule.cronExpression, timezone: schedule.timezone },
    paused: schedule.paused,
    maxActiveRuns: schedule.maxActiveRuns,
    tags: [`org:${schedule.orgId}`],
  });

/** DAGs that exist whatever the schedules: the org-aware pipelines of the second seed. */
export const STATIC_DAGS = ['enhanced_org_aware_ingest_dag', 'enhanced_mongo_to_postgres_dag'] as const;

/** Airflow's task states in Sluice's words; null for states that are not settled yet. */
const TASK_STATES: Record<string, TaskState | null> = {
  success: 'success',
  failed: 'failed',
  upstream_failed: 'upstream_failed',
  skipped: 'skipped',
  removed: 'skipped',
  up_for_retry: 'up_for_retry',
  running: null,
  queued: null,
  scheduled: null,
  deferred: null,
  restarting: null,
  up_for_reschedule: null,
};

const isUnreachable = (error: unknown) =>
  isAppError(error) && ['airflow_unreachable', 'airflow_dag_not_found', 'airflow_import_error', 'airflow_server_error', 'airflow_auth_failed'].includes(error.code);

/**
 * Airflow as the orchestrator (issue 7): every schedule is a DAG file in
 * AIRFLOW_DAGS_FOLDER and every trigger an Airflow DAG run; Airflow's tasks
 * call Sluice back to do the work (src/runs/airflow-tasks.service.ts).
 * Runs are kept in Sluice's database as with the builtin engine, and
 * Airflow's states are copied into them, so the API, CLI and status
 * endpoints look the same. When Airflow cannot be reached, a trigger falls
 * back to the builtin engine or fails, as SLUICE_AIRFLOW_FALLBACK says.
 */
export class AirflowOrchestrator implements Orchestrator {
  readonly kind = 'airflow' as const;
  readonly client: AirflowClient;
  readonly folder: DagFolder | undefined;
  readonly #o: Required<Omit<AirflowOrchestratorOptions, 'dagsFolder'>>;
  #timer: NodeJS.Timeout | undefined;
  #mirroring: Promise<void> = Promise.resolve();

  constructor(options: AirflowOrchestratorOptions) {
    this.client = options.client;
    this.folder = options.dagsFolder ? new DagFolder(options.dagsFolder) : undefined;
    this.#o = { parseTimeoutMs: 90_000, mirrorIntervalMs: 5_000, ...options };
  }

  /** Starts copying Airflow's run states into Sluice's runs. */
  start(): void {
    if (this.#timer) return;
    const loop = () => {
      this.#mirroring = this.mirrorActiveRuns()
        .then(() => undefined)
        .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'could not read run states from Airflow; trying again'))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(loop, this.#o.mirrorIntervalMs);
        });
    };
    this.#timer = setTimeout(loop, this.#o.mirrorIntervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#mirroring;
  }

  async trigger(request: TriggerRequest): Promise<RunView> {
    const { engine } = this.#o;
    const runId = request.runId ?? newRunId(request.trigger);
    const { run, resolved } = await engine.recordRun({ ...request, runId }, { orchestrator: 'airflow', externalId: runId });
    if (!run) throw new UserError('conflict', `run ${runId} exists already`);
    try {
      await this.ensureDag(request.dagId, resolved.pipeline, request.orgId, resolved.connectionId);
      await this.client.triggerRun(request.dagId, { runId, conf: { ...run.conf, org_id: request.orgId } });
      return run;
    } catch (error) {
      if (this.#o.fallback === 'builtin' && isUnreachable(error)) {
        this.#o.logger.warn({ err: error, runId, dagId: request.dagId }, 'Airflow cannot take the run: running it on the builtin engine (SLUICE_AIRFLOW_FALLBACK=builtin)');
        await engine.runs.handOver(runId, 'builtin', `Airflow could not take the run (${(error as Error).message}); the builtin engine runs it`);
        engine.pool.wake();
        return engine.runs.get(request.orgId, runId);
      }
      await engine.runs.failUnstarted(runId, `Airflow refused the run: ${(error as Error).message}`);
      throw error;
    }
  }

  linkFor(run: RunView): string | undefined {
    return run.orchestrator === 'airflow' ? this.client.uiUrlFor(run.dagId, run.externalId ?? run.runId) : undefined;
  }

  async cancel(orgId: string, runId: string): Promise<RunView> {
    const run = await this.#o.engine.runs.get(orgId, runId);
    if (run.orchestrator !== 'airflow') return this.#o.builtin.cancel(orgId, runId);
    const cancelled = await this.#o.engine.cancel(orgId, runId);
    await this.client.setRunState(run.dagId, run.externalId ?? runId, 'failed').catch((error: unknown) => this.#o.logger.warn({ err: error, runId }, 'could not stop the run in Airflow'));
    return cancelled;
  }

  async retry(orgId: string, runId: string): Promise<RunView> {
    const run = await this.#o.engine.runs.get(orgId, runId);
    if (run.orchestrator !== 'airflow') return this.#o.builtin.retry(orgId, runId);
    const retried = await this.#o.engine.retry(orgId, runId);
    await this.client.clearFailedTasks(run.dagId, run.externalId ?? runId);
    return retried;
  }

  waitForRun(orgId: string, runId: string, options?: Parameters<Engine['waitForRun']>[2]): Promise<RunView> {
    return this.#o.engine.waitForRun(orgId, runId, options);
  }

  async scheduleSaved(schedule: ScheduleView): Promise<void> {
    const resolved = this.#o.engine.registry.resolve(schedule.dagId);
    if (!resolved || !this.folder) {
      if (!this.folder) this.#o.logger.warn({ dagId: schedule.dagId }, 'AIRFLOW_DAGS_FOLDER is not set: run `sluice airflow sync` where the DAGs folder is');
      return;
    }
    await this.folder.write(scheduleSpec(resolved.pipeline, schedule));
    // A DAG Airflow already knows keeps its paused flag from Airflow's database: set it.
    const dag = await this.client.findDag(schedule.dagId).catch(() => undefined);
    if (dag && dag.isPaused !== schedule.paused) await (schedule.paused ? this.client.pause(schedule.dagId) : this.client.unpause(schedule.dagId));
  }

  async scheduleDeleted(schedule: ScheduleView): Promise<void> {
    await this.client.pause(schedule.dagId).catch(() => undefined);
    // Manual runs of the connection still need the DAG: keep it, without a schedule.
    const resolved = this.#o.engine.registry.resolve(schedule.dagId);
    if (resolved && this.folder) await this.folder.write(dagSpecFor(resolved.pipeline, schedule.dagId, { schedule: null, tags: [`org:${schedule.orgId}`] }));
  }

  #health: { at: number; value: Promise<{ ok: boolean; detail: string }> } | undefined;

  /** Airflow's health, asked at most every 10 s and answered within 3 s (health checks of load balancers call this). */
  health(): Promise<{ ok: boolean; detail: string }> {
    if (this.#health && Date.now() - this.#health.at < 10_000) return this.#health.value;
    const fallback = this.#o.fallback === 'builtin' ? 'triggers fall back to the builtin engine meanwhile' : 'triggers fail meanwhile';
    const probe = this.client.health().then(
      (h) => ({ ok: h.healthy, detail: `Airflow at ${this.client.root} is ${h.healthy ? 'healthy' : `unhealthy; ${fallback}`}` }),
      (error: unknown) => ({ ok: false, detail: `${(error as Error).message}; ${fallback}` }),
    );
    const timeout = new Promise<{ ok: boolean; detail: string }>((resolve) => setTimeout(() => resolve({ ok: false, detail: `Airflow at ${this.client.root} did not answer within 3 s; ${fallback}` }), 3000).unref());
    const value = Promise.race([probe, timeout]);
    this.#health = { at: Date.now(), value };
    return value;
  }

  /**
   * Writes every DAG file (the org-aware DAGs, one per schedule, one per
   * connection without a schedule that has runs), removes Sluice's files of
   * deleted schedules, and reports Airflow's import errors for Sluice's files.
   */
  async sync(): Promise<{ folder: string; written: { dagId: string; result: string }[]; removed: string[]; importErrors: { filename: string; error: string }[] }> {
    if (!this.folder) throw new UserError('invalid_settings', 'AIRFLOW_DAGS_FOLDER is not set: Sluice does not know where to write DAG files');
    const { engine } = this.#o;
    const written: { dagId: string; result: string }[] = [];
    const keep = new Set<string>();
    for (const dagId of STATIC_DAGS) {
      const pipeline = engine.registry.get(dagId)!;
      written.push({ dagId, result: await this.folder.write(dagSpecFor(pipeline, dagId)) });
      keep.add(dagFileName(dagId));
    }
    for (const schedule of await engine.schedules.listAll()) {
      const resolved = engine.registry.resolve(schedule.dagId);
      if (!resolved) continue;
      written.push({ dagId: schedule.dagId, result: await this.folder.write(scheduleSpec(resolved.pipeline, schedule)) });
      keep.add(dagFileName(schedule.dagId));
    }
    const removed: string[] = [];
    for (const file of await this.folder.list()) {
      // Unscheduled connection DAGs are written on demand by triggers; keep those too.
      if (!keep.has(file) && !file.startsWith('sluice__etl_workflow_')) {
        await this.folder.remove(file.replace(/^sluice__/, '').replace(/\.py$/, ''));
        removed.push(file);
      }
    }
    const importErrors = (await this.client.importErrors({ filenameContains: 'sluice__' })).map((e) => ({ filename: e.filename, error: e.stackTrace }));
    return { folder: this.folder.dir, written, removed, importErrors };
  }

  /** Writes the DAG's file when needed and waits until Airflow has parsed it and it is unpaused. */
  private async ensureDag(dagId: string, pipeline: PipelineDefinition, orgId: string, connectionId: string | null): Promise<void> {
    const schedule = connectionId ? await this.#o.engine.schedules.findByConnection(orgId, connectionId) : undefined;
    // A paused DAG keeps its runs queued forever, and unpausing it would also resume a paused schedule.
    const pausedSchedule = () => new UserError('conflict', `the schedule of ${dagId} is paused: resume it to run the connection through Airflow`);
    const existing = await this.client.findDag(dagId);
    if (existing && !existing.hasImportErrors) {
      if (existing.isPaused) {
        if (schedule?.paused) throw pausedSchedule();
        await this.client.unpause(dagId);
      }
      return;
    }
    if (schedule?.paused) throw pausedSchedule();
    if (!this.folder) throw new UserError('invalid_settings', `Airflow does not know DAG ${dagId} and AIRFLOW_DAGS_FOLDER is not set: run \`sluice airflow sync\``);
    // The same file `sync` and the schedule write, so the three never fight over its content.
    await this.folder.write(schedule ? scheduleSpec(pipeline, schedule) : dagSpecFor(pipeline, dagId, { tags: connectionId ? [`org:${orgId}`] : [] }));
    const deadline = Date.now() + this.#o.parseTimeoutMs;
    for (;;) {
      const dag = await this.client.findDag(dagId);
      if (dag && !dag.hasImportErrors) {
        if (dag.isPaused) await this.client.unpause(dagId);
        return;
      }
      const errors = await this.client.importErrors({ filenameContains: dagFileName(dagId) });
      if (errors.length > 0) throw new UserError('airflow_import_error', `Airflow cannot import ${dagFileName(dagId)}: ${errors[0]!.stackTrace.slice(-500)}`);
      if (Date.now() > deadline) {
        throw new UserError('airflow_dag_not_found', `Airflow has not parsed ${dagFileName(dagId)} within ${Math.round(this.#o.parseTimeoutMs / 1000)} s; is AIRFLOW_DAGS_FOLDER Airflow's DAGs folder, and the dag-processor running?`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Copies Airflow's states of Sluice's active Airflow runs: tasks Airflow ran itself, and how runs ended. */
  async mirrorActiveRuns(): Promise<number> {
    const { engine } = this.#o;
    const active = await engine.runs.activeExternal('airflow', 50);
    for (const run of active) {
      const externalId = run.externalId ?? run.runId;
      let airflowRun;
      try {
        airflowRun = await this.client.getRun(run.dagId, externalId);
      } catch (error) {
        if (isAppError(error) && error.code === 'not_found') continue;
        throw error;
      }
      const instances: AirflowTaskInstance[] = await this.client.taskInstances(run.dagId, externalId);
      const tasks = instances
        .filter((ti) => ti.state && TASK_STATES[ti.state])
        .map((ti) => ({
          taskId: ti.taskId,
          state: TASK_STATES[ti.state!]!,
          tryNumber: ti.tryNumber,
          startedAt: ti.startDate ? new Date(ti.startDate) : null,
          endedAt: ti.endDate ? new Date(ti.endDate) : null,
        }));
      const ended = airflowRun.state === 'success' || airflowRun.state === 'failed' ? airflowRun.state : null;
      await engine.runs.mirror(run.runId, tasks, ended);
    }
    return active.length;
  }
}
