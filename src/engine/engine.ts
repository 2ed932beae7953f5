import type { Database } from '../db/index.js';
import { UserError } from '../errors/index.js';
import type { Logger } from '../logger.js';
import { FINISHED_RUN_STATES, type PipelineRegistry, type TriggerKind } from './model.js';
import { retryPolicy } from './retry-policy.js';
import { RunStore, type RunView } from './run-store.js';
import { Scheduler, type ScheduleHandover } from './scheduler.js';
import { ScheduleStore } from './schedule-store.js';
import { WorkerPool, type RunEndEvent } from './worker.js';
import { WorkerRegistry } from './worker-registry.js';

export interface EngineOptions {
  db: Database;
  registry: PipelineRegistry;
  logger: Logger;
  /** Attempts this process runs at once; 0 runs none (an API-only process). */
  workerConcurrency: number;
  orgMaxActiveTasks: number;
  leaseSeconds: number;
  /** Whether this process fires schedules. */
  scheduler: boolean;
  /** The embedded database: this process is the only worker (see WorkerPoolOptions.soleWorker). */
  soleWorker: boolean;
  pollIntervalMs?: number;
  schedulerTickMs?: number;
  shutdownGraceMs?: number;
  /** Days finished runs are kept (0: forever). */
  runRetentionDays?: number;
  /** Other orchestrators' schedules the scheduler fires meanwhile (see ScheduleHandover); asked at every tick. */
  scheduleHandovers?: () => readonly ScheduleHandover[];
}

export interface TriggerRequest {
  orgId: string;
  dagId: string;
  trigger: TriggerKind;
  conf?: Record<string, unknown> | undefined;
  createdBy?: string | null | undefined;
  runId?: string | undefined;
  maxActiveRuns?: number | undefined;
}

/**
 * The builtin orchestrator's façade: the stores of runs and schedules, this
 * process's worker pool and scheduler. `start()` and `stop()` bring the
 * background parts up and down; the rest works without them (the API of a
 * process with no workers still creates runs for other processes to run).
 */
export class Engine {
  readonly runs: RunStore;
  readonly schedules: ScheduleStore;
  readonly pool: WorkerPool;
  readonly scheduler: Scheduler;
  readonly registry: PipelineRegistry;
  readonly #o: EngineOptions;
  #started = false;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.registry = options.registry;
    this.runs = new RunStore(options.db);
    this.schedules = new ScheduleStore(options.db);
    this.pool = new WorkerPool({
      store: this.runs,
      workers: new WorkerRegistry(options.db),
      registry: options.registry,
      logger: options.logger.child({ component: 'worker' }),
      concurrency: options.workerConcurrency,
      orgMaxActiveTasks: options.orgMaxActiveTasks,
      leaseSeconds: options.leaseSeconds,
      soleWorker: options.soleWorker,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
      ...(options.runRetentionDays === undefined ? {} : { runRetentionDays: options.runRetentionDays }),
    });
    this.scheduler = new Scheduler({
      db: options.db,
      runs: this.runs,
      schedules: this.schedules,
      registry: options.registry,
      logger: options.logger.child({ component: 'scheduler' }),
      onRunsCreated: () => this.pool.wake(),
      ...(options.scheduleHandovers === undefined ? {} : { handovers: options.scheduleHandovers }),
      ...(options.schedulerTickMs === undefined ? {} : { tickMs: options.schedulerTickMs }),
    });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.pool.start();
    if (this.#o.scheduler) this.scheduler.start();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.scheduler.stop();
    await this.pool.stop();
  }

  /** Creates a run of a DAG; the workers pick it up. */
  async trigger(request: TriggerRequest): Promise<RunView> {
    const { run } = await this.recordRun(request);
    this.pool.wake();
    return run!;
  }

  /**
   * Records a run of a registered DAG (not_found naming `dagId` otherwise)
   * without waking the workers: `trigger`'s first half, for an orchestrator
   * that runs it elsewhere (`orchestrator`, `externalId`). `run` is null when
   * a run of that id exists already; `resolved` is the DAG's pipeline.
   */
  async recordRun(
    request: TriggerRequest,
    placement: { orchestrator?: 'airflow'; externalId?: string } = {},
  ): Promise<{ run: RunView | null; resolved: NonNullable<ReturnType<PipelineRegistry['resolve']>> }> {
    const resolved = this.registry.resolve(request.dagId);
    if (!resolved) throw new UserError('not_found', `no pipeline runs DAG ${JSON.stringify(request.dagId)}`, { details: { field: 'dagId' } });
    const run = await this.runs.createRun({
      orgId: request.orgId,
      dagId: request.dagId,
      pipeline: resolved.pipeline,
      connectionId: resolved.connectionId,
      trigger: request.trigger,
      conf: request.conf,
      createdBy: request.createdBy,
      runId: request.runId,
      maxActiveRuns: request.maxActiveRuns,
      ...placement,
    });
    return { run, resolved };
  }

  async cancel(orgId: string, runId: string): Promise<RunView> {
    const state = await this.runs.cancel(orgId, runId);
    this.pool.cancelRun(runId);
    const run = await this.runs.get(orgId, runId);
    // Ended here when no task was running; otherwise the worker that stops its attempt ends it (and says so).
    if (FINISHED_RUN_STATES.has(state)) this.pool.emit('runEnded', { runId, orgId, dagId: run.dagId, state } satisfies RunEndEvent);
    return run;
  }

  async retry(orgId: string, runId: string): Promise<RunView> {
    const run = await this.runs.retry(orgId, runId, (pipeline, taskId) => retryPolicy(this.registry.get(pipeline)?.tasks.find((t) => t.id === taskId)?.retry).maxAttempts);
    this.pool.wake();
    return run;
  }

  /** Resolves with the run once it has ended, or with its state so far when `timeoutMs` passes or `signal` aborts. */
  async waitForRun(orgId: string, runId: string, options: { timeoutMs?: number; signal?: AbortSignal; onProgress?: (run: RunView) => void } = {}): Promise<RunView> {
    const deadline = Date.now() + (options.timeoutMs ?? Number.MAX_SAFE_INTEGER);
    for (;;) {
      const run = await this.runs.get(orgId, runId);
      options.onProgress?.(run);
      if (FINISHED_RUN_STATES.has(run.state) || Date.now() >= deadline || options.signal?.aborted) return run;
      // Woken at once when this process's workers end the run; polled for runs ended elsewhere.
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          this.pool.off('runEnded', onEnd);
          options.signal?.removeEventListener('abort', finish);
          resolve();
        };
        const onEnd = (e: { runId: string }) => {
          if (e.runId === runId) finish();
        };
        const timer = setTimeout(finish, Math.min(500, Math.max(0, deadline - Date.now())));
        this.pool.on('runEnded', onEnd);
        options.signal?.addEventListener('abort', finish, { once: true });
      });
    }
  }
}
