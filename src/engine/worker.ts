import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { isDataException } from '../db/index.js';
import { isAppError } from '../errors/index.js';
import { maskingLogger, type Logger } from '../logger.js';
import { currentProcess, describeProcess, processState, type ProcessIdentity } from '../process-identity.js';
import { SecretMasker } from '../secrets/index.js';
import { AttemptLog } from './attempt-log.js';
import type { PipelineDefinition, PipelineRegistry, RunState, TaskContext, TaskDefinition, TaskResult, TaskState } from './model.js';
import { backoffDelayMs, retryPolicy } from './retry-policy.js';
import type { AttemptOutcome, ClaimedAttempt, LogLine, ReapScope, RunStore } from './run-store.js';
import type { WorkerRegistry } from './worker-registry.js';

export interface WorkerPoolOptions {
  store: RunStore;
  /** Where pools record their processes, so that one on the same host can take a dead one's tasks back at once. */
  workers: WorkerRegistry;
  registry: PipelineRegistry;
  logger: Logger;
  /** Attempts this process runs at once. */
  concurrency: number;
  orgMaxActiveTasks: number;
  leaseSeconds: number;
  /** How often an idle worker looks for work (it is also woken by runs created in this process). Default 500 ms. */
  pollIntervalMs?: number;
  /**
   * The embedded database: the data-directory lock proves no other process
   * runs tasks, so attempts left running by a previous process are failed
   * (and retried) at start instead of after their lease.
   */
  soleWorker?: boolean;
  /** How long `stop()` lets running attempts finish before aborting them. Default 10 s. */
  shutdownGraceMs?: number;
  /** Finished runs older than this many days are deleted every hour; 0 (the default here) keeps them. */
  runRetentionDays?: number;
  id?: string;
  /** The process this pool runs in (default: this one); tests give another. */
  process?: ProcessIdentity;
}

/** Why an attempt's signal was aborted. */
export class AttemptAborted extends Error {
  constructor(
    readonly why: 'timeout' | 'cancelled' | 'lease_lost' | 'shutdown',
    message: string,
  ) {
    super(message);
    this.name = 'AttemptAborted';
  }
}

interface Active {
  claim: ClaimedAttempt;
  controller: AbortController;
  done: Promise<void>;
}

export interface AttemptEvent {
  claim: ClaimedAttempt;
  workerId: string;
}

export interface AttemptEndEvent extends AttemptEvent {
  /** The task's state after the attempt; null when the result was dropped (the lease was lost). */
  taskState: TaskState | null;
  runState: RunState | null;
  /** How the attempt ended, with its counts when it succeeded. */
  outcome: AttemptOutcome;
}

/** What `runEnded` tells. */
export interface RunEndEvent {
  runId: string;
  orgId: string;
  dagId: string;
  state: RunState;
}

/**
 * Runs task attempts: claims the next ready task (SKIP LOCKED, so any number
 * of pools may share one PostgreSQL server), runs it with an AbortSignal for
 * timeout and cancellation, renews the claim's lease while it runs, and
 * records how it ended. Attempts of workers that died are failed and retried
 * by whichever pool notices their lease ran out.
 *
 * Events: `attemptStarted` (AttemptEvent), `attemptEnded` (AttemptEndEvent),
 * `runEnded` (RunEndEvent: a run this process ended, by an attempt or a cancel).
 */
export class WorkerPool extends EventEmitter {
  readonly id: string;
  readonly #o: Required<Omit<WorkerPoolOptions, 'id'>>;
  #registered = false;
  #claimFailing = false;
  readonly #active = new Map<string, Active>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(options: WorkerPoolOptions) {
    super();
    const me = options.process ?? currentProcess();
    this.id = options.id ?? `${me.host}:${me.pid}:${randomBytes(3).toString('hex')}`;
    this.#o = { pollIntervalMs: 500, soleWorker: false, shutdownGraceMs: 10_000, runRetentionDays: 0, process: me, ...options };
  }

  get activeCount(): number {
    return this.#active.size;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const leaseMs = this.#o.leaseSeconds * 1000;
    const every = (ms: number, fn: () => Promise<void>) => {
      const timer = setInterval(() => void fn(), ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(Math.min(leaseMs / 3, 5000), () => this.#heartbeat());
    every(Math.max(1000, Math.min(leaseMs / 2, 5000)), () => this.#lookAfterLostWorkers());
    if (this.#o.runRetentionDays > 0) every(3_600_000, () => this.#prune());
    if (this.#o.soleWorker) every(60_000, () => this.#o.store.analyze().catch((error: unknown) => this.#o.logger.warn({ err: error }, 'could not refresh table statistics')));
    this.#loop = (async () => {
      await this.#register();
      // A restart takes its dead predecessor's tasks back before it claims anything: embedded, every
      // running task is such (the data directory lock proves no other process runs); on a server,
      // those of this host's workers whose processes died.
      if (this.#o.soleWorker) await this.#reap({ kind: 'all', worker: this.id });
      await this.#reapDeadOnThisHost();
      if (this.#o.soleWorker) {
        await this.#o.store.analyze().catch((error: unknown) => this.#o.logger.warn({ err: error }, 'could not refresh table statistics'));
      }
      // With no slots this process claims nothing, but still heartbeats the attempts Airflow asked it to run.
      if (this.#o.concurrency > 0) await this.#run();
    })();
  }

  /**
   * Runs an attempt someone else decided to start (Airflow's task calling
   * back), outside the claim loop and its slot count, with the same
   * timeout, heartbeat, cancellation and recording as any other.
   */
  executeExternal(claim: ClaimedAttempt): Promise<void> {
    this.#execute(claim);
    return this.#active.get(`${claim.runId}/${claim.taskId}/${claim.tryNumber}`)!.done;
  }

  /** Looks for work now instead of at the next poll. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Aborts this process's attempts of a run at once (other processes notice at their next heartbeat). */
  cancelRun(runId: string): void {
    for (const active of this.#active.values()) {
      if (active.claim.runId === runId) active.controller.abort(new AttemptAborted('cancelled', 'the run was cancelled'));
    }
  }

  /** Stops claiming, lets running attempts finish for the grace period, then aborts them (they are retried). */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.wake();
    await this.#loop;
    const all = Promise.all([...this.#active.values()].map((a) => a.done));
    const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.#o.shutdownGraceMs).unref());
    if ((await Promise.race([all, grace])) === 'timeout') {
      for (const a of this.#active.values()) a.controller.abort(new AttemptAborted('shutdown', 'the worker was stopped'));
      await all;
    }
    await this.#o.workers.forget([this.id]).catch((error: unknown) => this.#o.logger.debug({ err: error }, 'could not remove this worker from the workers table'));
  }

  async #run(): Promise<void> {
    while (this.#running) {
      while (this.#running && this.#active.size < this.#o.concurrency) {
        const free = this.#o.concurrency - this.#active.size;
        let claims: ClaimedAttempt[] = [];
        try {
          claims = await this.#o.store.claimBatch(this.id, this.#o.leaseSeconds, this.#o.orgMaxActiveTasks, free);
          if (this.#claimFailing) this.#o.logger.info('claiming tasks again');
          this.#claimFailing = false;
        } catch (error) {
          // Once per outage, not at every poll while the database is away.
          if (!this.#claimFailing) this.#o.logger.error({ err: error }, 'could not claim tasks; retrying at every poll until the database answers');
          this.#claimFailing = true;
        }
        for (const claim of claims) this.#execute(claim);
        if (claims.length < free) break;
      }
      if (!this.#running) break;
      await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#o.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        this.#woken = false;
        done();
      };
    });
  }

  #execute(claim: ClaimedAttempt): void {
    const key = `${claim.runId}/${claim.taskId}/${claim.tryNumber}`;
    const controller = new AbortController();
    const done = this.#attempt(claim, controller).finally(() => {
      this.#active.delete(key);
      this.wake();
    });
    this.#active.set(key, { claim, controller, done });
  }

  async #attempt(claim: ClaimedAttempt, controller: AbortController): Promise<void> {
    // Everything this attempt logs, stores or reports passes through its secrets.
    const secrets = new SecretMasker();
    const logger = maskingLogger(this.#o.logger.child({ orgId: claim.orgId, runId: claim.runId, taskId: claim.taskId, attempt: claim.tryNumber }), secrets);
    const log = new AttemptLog(this.#o.store, claim, logger, secrets);
    this.emit('attemptStarted', { claim, workerId: this.id } satisfies AttemptEvent);
    const pipeline = this.#o.registry.get(claim.pipeline);
    const definition = pipeline?.tasks.find((t) => t.id === claim.taskId);
    let outcome: AttemptOutcome;
    if (!pipeline || !definition) {
      outcome = { kind: 'failure', error: `pipeline ${claim.pipeline} has no task ${claim.taskId} in this version of Sluice`, errorCode: 'internal', retryable: false, retryDelayMs: 0 };
    } else {
      outcome = maskOutcome(await this.#runTask(claim, pipeline, definition, controller, log, logger, secrets), secrets);
    }
    if (outcome.kind === 'failure') log.error(outcome.error, { code: outcome.errorCode, retryable: outcome.retryable });
    else if (outcome.kind === 'cancelled') log.warn(outcome.error);
    if (controller.signal.reason instanceof AttemptAborted && controller.signal.reason.why === 'lease_lost') {
      await log.flush();
      logger.warn('attempt dropped: its lease was lost and another worker failed it');
      this.emit('attemptEnded', { claim, workerId: this.id, taskState: null, runState: null, outcome } satisfies AttemptEndEvent);
      return;
    }
    const result = await this.#report(claim, outcome, logger, await log.take());
    this.emit('attemptEnded', { claim, workerId: this.id, taskState: result?.taskState ?? null, runState: result?.runState ?? null, outcome } satisfies AttemptEndEvent);
    if (result && (result.runState === 'success' || result.runState === 'failed' || result.runState === 'cancelled')) {
      this.emit('runEnded', { runId: claim.runId, orgId: claim.orgId, dagId: claim.dagId, state: result.runState } satisfies RunEndEvent);
    }
  }

  async #runTask(
    claim: ClaimedAttempt,
    pipeline: PipelineDefinition,
    definition: TaskDefinition,
    controller: AbortController,
    log: AttemptLog,
    logger: Logger,
    secrets: SecretMasker,
  ): Promise<AttemptOutcome> {
    const timer = setTimeout(
      () => controller.abort(new AttemptAborted('timeout', `timed out after ${formatMs(definition.timeoutMs)}`)),
      definition.timeoutMs,
    );
    const policy = retryPolicy(definition.retry);
    let lastSaved = 0;
    let pending: Record<string, unknown> | undefined;
    let progressTimer: NodeJS.Timeout | undefined;
    const saveProgress = () => {
      progressTimer = undefined;
      if (!pending) return;
      const report = { ...secrets.maskDeep(pending), at: new Date().toISOString() };
      pending = undefined;
      lastSaved = Date.now();
      this.#o.store.saveProgress(this.id, claim, report).catch((error: unknown) => logger.debug({ err: error }, 'could not store progress'));
    };
    try {
      const { states, outputs } = claim.runTasks ?? (await this.#o.store.taskStates(claim.runId));
      const context: TaskContext = {
        orgId: claim.orgId,
        runId: claim.runId,
        dagId: claim.dagId,
        taskId: claim.taskId,
        attempt: claim.tryNumber,
        conf: claim.conf,
        trigger: claim.trigger,
        connectionId: claim.connectionId,
        runStartedAt: claim.runStartedAt,
        signal: controller.signal,
        log,
        logger,
        secrets,
        upstreamOutput: (taskId) => outputs[taskId] ?? undefined,
        taskStates: () => states,
        progress: (report) => {
          pending = { ...report };
          if (progressTimer) return;
          progressTimer = setTimeout(saveProgress, Math.max(0, 1000 - (Date.now() - lastSaved)));
        },
      };
      log.info(`try ${claim.tryNumber} of ${claim.maxAttempts} started on ${this.id}`);
      await pipeline.registerSecrets?.(context);
      const result: TaskResult = (await untilAborted(definition.run(context), controller.signal)) ?? {};
      log.info('finished', { rowsIn: result.rowsIn, rowsOut: result.rowsOut, rowsRejected: result.rowsRejected });
      return { kind: 'success', ...result };
    } catch (error) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      if (reason instanceof AttemptAborted) {
        if (reason.why === 'cancelled') return { kind: 'cancelled', error: reason.message };
        return { kind: 'failure', error: reason.message, errorCode: reason.why === 'timeout' ? 'task_timeout' : 'worker_stopped', retryable: true, retryDelayMs: reason.why === 'shutdown' ? 0 : backoffDelayMs(policy, claim.tryNumber + 1) };
      }
      const retryable = isAppError(error) ? error.retryable || error.intent === 'bug' : true;
      if (!isAppError(error)) logger.error({ err: error }, 'task failed unexpectedly');
      return {
        kind: 'failure',
        error: error instanceof Error ? error.message : String(error),
        errorCode: isAppError(error) ? error.code : 'internal',
        retryable,
        retryDelayMs: backoffDelayMs(policy, claim.tryNumber + 1),
      };
    } finally {
      clearTimeout(timer);
      clearTimeout(progressTimer);
      saveProgress();
    }
  }

  /** Records the outcome, retrying a few times: a database blip must not leave the attempt running until its lease ends. */
  async #report(claim: ClaimedAttempt, outcome: AttemptOutcome, logger: Logger, logLines: LogLine[]) {
    let refused = false;
    for (let i = 0; ; i++) {
      try {
        const result = await this.#o.store.completeAttempt(this.id, claim, outcome, logLines);
        if (!result) logger.warn('attempt result dropped: its lease was lost and another worker failed it');
        return result;
      } catch (error) {
        // A result the database refuses (a value it cannot store) would be refused again on every try and
        // leave the task running until its lease ran out: record the attempt as failed, saying why.
        if (isDataException(error) && !refused) {
          refused = true;
          logger.error({ err: error }, 'the database refused the result of an attempt; recording it as failed');
          // The log lines go on their own, so that lines the database refuses cannot refuse the failure too.
          await this.#appendLogs(logLines, logger);
          logLines = [];
          outcome = {
            kind: 'failure',
            error: `the task ended, but its result could not be stored: ${(error as Error).message}`,
            errorCode: 'internal',
            retryable: false,
            retryDelayMs: 0,
          };
          continue;
        }
        if (i >= 4) {
          logger.error({ err: error }, 'could not record the end of an attempt; it will be retried once its lease expires');
          await this.#appendLogs(logLines, logger);
          return null;
        }
        await new Promise((r) => setTimeout(r, 250 * 2 ** i));
      }
    }
  }

  async #appendLogs(lines: LogLine[], logger: Logger): Promise<void> {
    await this.#o.store.appendLogs(lines).catch((error: unknown) => logger.warn({ err: error, lines: lines.length }, 'could not store task log lines'));
  }

  async #heartbeat(): Promise<void> {
    const attempts = [...this.#active.values()].map((a) => a.claim);
    if (attempts.length === 0) return;
    try {
      const { lost, cancelled } = await this.#o.store.heartbeat(this.id, this.#o.leaseSeconds, attempts);
      for (const key of lost) this.#active.get(key)?.controller.abort(new AttemptAborted('lease_lost', 'the lease on this attempt was lost'));
      for (const key of cancelled) this.#active.get(key)?.controller.abort(new AttemptAborted('cancelled', 'the run was cancelled'));
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'heartbeat failed; retrying');
    }
  }

  /** Deletes finished runs past their retention (any process may: it is idempotent). */
  async #prune(): Promise<void> {
    try {
      const before = new Date(Date.now() - this.#o.runRetentionDays * 86_400_000);
      const pruned = await this.#o.store.prune(before);
      if (pruned > 0) this.#o.logger.info({ pruned, before }, 'deleted finished runs past their retention (SLUICE_RUN_RETENTION_DAYS)');
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'could not delete old runs; trying again in an hour');
    }
  }

  /** Every few seconds (half a lease, at most 5 s): this pool's sign of life, then the tasks of workers that died (on this host) or went silent (anywhere). */
  async #lookAfterLostWorkers(): Promise<void> {
    if (this.#registered) {
      this.#registered = await this.#o.workers.seen(this.id).catch(() => true);
    }
    if (!this.#registered) await this.#register();
    await this.#reapDeadOnThisHost();
    // Not the attempts this pool still runs (a long statement on the embedded database can delay their
    // heartbeat), but its own that it no longer runs: an attempt whose end could not be recorded while
    // the database was away is taken back here, even when no other process runs.
    const running = [...this.#active.values()].map((a) => ({ runId: a.claim.runId, taskId: a.claim.taskId }));
    await this.#reap({ kind: 'expired', worker: this.id, running });
  }

  async #register(): Promise<void> {
    try {
      await this.#o.workers.register(this.id, this.#o.process);
      this.#registered = true;
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'could not record this worker in the workers table; trying again later');
    }
  }

  /** Takes back at once the tasks of workers of this host whose processes are dead (see process-identity.ts). */
  async #reapDeadOnThisHost(): Promise<void> {
    try {
      const peers = await this.#o.workers.onHost(this.#o.process.host, this.id);
      const dead = peers.filter((p) => processState(p.process) === 'dead');
      if (dead.length === 0) return;
      await this.#reap({ kind: 'dead', owners: dead.map((d) => ({ id: d.id, why: `its process (${describeProcess(d.process)}) is no longer running` })) });
      await this.#o.workers.forget(dead.map((d) => d.id));
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'could not look for dead workers on this host; retrying later');
    }
  }

  async #reap(scope: ReapScope): Promise<void> {
    try {
      for (;;) {
        const reaped = await this.#o.store.reap(scope, (pipeline, taskId, nextTry) => {
          const task = this.#o.registry.get(pipeline)?.tasks.find((t) => t.id === taskId);
          return backoffDelayMs(retryPolicy(task?.retry), nextTry);
        });
        const why = scope.kind === 'expired' ? 'its worker stopped renewing its lease' : scope.kind === 'dead' ? 'its worker\'s process died' : 'a previous process on this data directory left it running';
        for (const r of reaped) this.#o.logger.warn({ runId: r.runId, taskId: r.taskId, attempt: r.tryNumber, owner: r.owner, state: r.state }, `failed an attempt: ${why}`);
        if (reaped.length > 0) this.wake();
        if (reaped.length < 100) return;
      }
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'could not look for attempts of lost workers; retrying later');
    }
  }
}

/** The outcome as it may be stored and shown: its error text and output with the attempt's secrets masked. */
function maskOutcome(outcome: AttemptOutcome, secrets: SecretMasker): AttemptOutcome {
  if (secrets.empty) return outcome;
  switch (outcome.kind) {
    case 'success':
      return { ...outcome, output: secrets.maskDeep(outcome.output) };
    case 'failure':
    case 'cancelled':
      return { ...outcome, error: secrets.mask(outcome.error) };
  }
}

/** Settles with `promise`, or rejects with the signal's reason once it aborts (a task ignoring its signal cannot hold a slot). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

const formatMs = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
