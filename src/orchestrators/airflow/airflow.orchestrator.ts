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
  /**
   * With fallback `builtin`: how long Airflow must have been seen unreachable
   * or unhealthy before the builtin engine fires its schedules. Default 5 min.
   */
  scheduleGraceMs?: number;
  /** How often `start()`ed processes look at Airflow's health. Default 5 s. */
  watchIntervalMs?: number;
  /** How long an answer about Airflow's health is reused (load balancers call `/api/health` often). Default 10 s. */
  healthCacheMs?: number;
}

/**
 * Airflow's health says "healthy" until its scheduler's heartbeat is some
 * 30 s old, and answers are cached 10 s: fire times this long before Airflow
 * was last seen healthy may have been missed too, so a fallback covers them
 * (a time Airflow did run is recorded with its fire time and not run again).
 */
const HEALTH_LAG_MS = 60_000;

/** The DAG file of a scheduled connection: its CRON and timezone, paused as the schedule is. */
const scheduleSpec = (pipeline: PipelineDefinition, schedule: ScheduleView) =>
  dagSpecFor(pipeline, schedule.dagId, {
    schedule: { cron: schedule.cronExpression, timezone: schedule.timezone },
    paused: schedule.paused,
    maxActiveRuns: schedule.maxActiveRuns,
    tags: [`org:${schedule.orgId}`],
  });

/** DAGs that exist whatever the schedules: the org-aware pipelines of the second seed. */
export const STATIC_DAGS = ['enhanced_org_aware_ingest_dag', 'enhanced_mongo_to_postgres_dag', 'forecast_inventory_dag'] as const;

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
  /** What this process saw of Airflow's health since `start()` (epoch ms). */
  #seen: { watchingSince: number; lastHealthyAt: number | undefined; downSince: number | undefined; fallingBack: boolean } | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  #watching: Promise<void> = Promise.resolve();

  constructor(options: AirflowOrchestratorOptions) {
    this.client = options.client;
    this.folder = options.dagsFolder ? new DagFolder(options.dagsFolder) : undefined;
    this.#o = { parseTimeoutMs: 90_000, mirrorIntervalMs: 5_000, scheduleGraceMs: 300_000, watchIntervalMs: 5_000, healthCacheMs: 10_000, ...options };
  }

  /** Starts copying Airflow's run states into Sluice's runs, and watching Airflow's health for the schedules' fallback. */
  start(): void {
    if (this.#timer) return;
    this.#seen = { watchingSince: Date.now(), lastHealthyAt: undefined, downSince: undefined, fallingBack: false };
    const watch = () => {
      this.#watching = this.#observeHealth().finally(() => {
        if (this.#watchTimer) this.#watchTimer = setTimeout(watch, this.#o.watchIntervalMs);
      });
    };
    this.#watchTimer = setTimeout(watch, 0);
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
    clearTimeout(this.#watchTimer);
    this.#watchTimer = undefined;
    await Promise.all([this.#mirroring, this.#watching]);
  }

  /** Records whether Airflow is healthy now, and logs when its schedules start and stop falling back. */
  async #observeHealth(): Promise<void> {
    const seen = this.#seen;
    if (!seen) return;
    const pending = this.health();
    // When the answer was asked (a cached one is older than now).
    const at = this.#health?.value === pending ? this.#health.at : Date.now();
    const health = await pending;
    const log = this.#o.logger;
    if (health.ok) {
      if (seen.downSince !== undefined) log.info({ downSince: new Date(seen.downSince) }, "Airflow is healthy again: it fires its schedules");
      seen.lastHealthyAt = at;
      seen.downSince = undefined;
      seen.fallingBack = false;
      return;
    }
    if (seen.downSince === undefined) {
      seen.downSince = at;
      if (this.#o.fallback === 'builtin') {
        log.warn({ detail: health.detail }, `Airflow is unreachable or unhealthy; if it stays so for ${Math.round(this.#o.scheduleGraceMs / 1000)} s, the builtin engine fires its schedules (SLUICE_AIRFLOW_SCHEDULE_GRACE_SECONDS)`);
      }
    }
    const fallingBack = this.schedulesFallback() !== undefined;
    if (fallingBack && !seen.fallingBack) log.warn({ detail: health.detail, downSince: new Date(seen.downSince) }, "Airflow's schedules now fire on the builtin engine until Airflow is healthy again");
    seen.fallingBack = fallingBack;
  }

  /**
   * While Airflow has been unreachable or unhealthy for the grace period
   * (and SLUICE_AIRFLOW_FALLBACK=builtin), Airflow's schedules fire on the
   * builtin engine: the times after Airflow was last seen healthy by this
   * process (or after it started watching), less HEALTH_LAG_MS.
   */
  schedulesFallback(): { since: Date; note: string } | undefined {
    const seen = this.#seen;
    if (this.#o.fallback !== 'builtin' || !seen || seen.downSince === undefined) return undefined;
    if (Date.now() - seen.downSince < this.#o.scheduleGraceMs) return undefined;
    return {
      since: new Date((seen.lastHealthyAt ?? seen.watchingSince) - HEALTH_LAG_MS),
      note: `Airflow at ${this.client.root} was unreachable or unhealthy (since ${new Date(seen.downSince).toISOString()}): the builtin engine ran this scheduled run (SLUICE_AIRFLOW_FALLBACK=builtin)`,
    };
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

  /** Airflow's health, asked at most every 10 s (healthCacheMs) and answered within 3 s (health checks of load balancers call this). */
  health(): Promise<{ ok: boolean; detail: string }> {
    if (this.#health && Date.now() - this.#health.at < this.#o.healthCacheMs) return this.#health.value;
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
