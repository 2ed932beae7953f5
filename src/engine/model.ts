/**
 * The builtin orchestrator's vocabulary. See README.md for the flow.
 *
 * Glossary:
 * - pipeline: a DAG template in code (`etl_workflow`, ...): named tasks, their
 *   upstream tasks, a retry policy and a timeout each.
 * - DAG id: the name a pipeline runs under for one purpose
 *   (`etl_workflow_<connectionId>`); Airflow shows the same ids.
 * - run: one execution of a DAG, with its `conf` and how it was triggered.
 * - task instance: one task of one run, with its state and try number.
 * - attempt: one try of a task instance, owned by one worker through a lease
 *   the worker renews (heartbeat); an attempt whose lease runs out is failed
 *   and, when tries are left, retried.
 */
import { z } from 'zod';
import type { Logger } from '../logger.js';
import type { SecretMasker } from '../secrets/index.js';

export const RunState = z.enum(['queued', 'running', 'success', 'failed', 'cancelled']);
export type RunState = z.infer<typeof RunState>;

/**
 * `pending` waits on upstream tasks; `queued` and `up_for_retry` may be
 * claimed from their `available_at`; the rest, but `running`, are final
 * until someone retries the run.
 */
export const TaskState = z.enum(['pending', 'queued', 'running', 'success', 'failed', 'up_for_retry', 'upstream_failed', 'skipped', 'cancelled']);
export type TaskState = z.infer<typeof TaskState>;

export const TriggerKind = z.enum(['schedule', 'manual', 'api', 'upstream', 'airflow']);
export type TriggerKind = z.infer<typeof TriggerKind>;

/**
 * When a pending task may start: `all_success` once every upstream task
 * succeeded (or was skipped); `all_done` once every upstream task ended,
 * however (a notification that reports failures too).
 */
export const TriggerRule = z.enum(['all_success', 'all_done']);
export type TriggerRule = z.infer<typeof TriggerRule>;

export const FINISHED_TASK_STATES: ReadonlySet<TaskState> = new Set(['success', 'failed', 'upstream_failed', 'skipped', 'cancelled']);
export const FINISHED_RUN_STATES: ReadonlySet<RunState> = new Set(['success', 'failed', 'cancelled']);

/** Temporal's shape: how often a task is tried and how long to wait between tries. */
export interface RetryPolicy {
  /** Tries in all, the first included (1 = never retried). */
  maxAttempts: number;
  /** Wait before the second try. */
  initialDelayMs: number;
  /** Each further wait is the previous one times this. */
  backoffCoefficient: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
  /** Each wait is drawn from [delay × (1 − jitter), delay]: tries of many runs failing together spread out. */
  jitter: number;
}

/** What a task's work reports back. Counts show in the run; `output` is handed to downstream tasks. */
export interface TaskResult {
  rowsIn?: number | undefined;
  rowsOut?: number | undefined;
  rowsRejected?: number | undefined;
  output?: Record<string, unknown> | undefined;
}

/** A line of an attempt's log, kept in the database and served by `GET /api/runs/:id/logs`. */
export interface TaskLog {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** How far a running task got; shown by progress bars (rows, rows/s, and an ETA when the total is known). */
export interface TaskProgress {
  rows?: number | undefined;
  /** Units of work done and in all, when the work counts in units other than rows (the items of a forecast). */
  items?: number | undefined;
  totalItems?: number | undefined;
  /** Units done per part of the work (items per table). */
  parts?: Record<string, number> | undefined;
  bytes?: number | undefined;
  totalBytes?: number | undefined;
  message?: string | undefined;
}

export interface TaskContext {
  orgId: string;
  runId: string;
  dagId: string;
  taskId: string;
  /** 1 for the first try. */
  attempt: number;
  conf: Record<string, unknown>;
  trigger: TriggerKind;
  connectionId: string | null;
  /** When the run started (its first task was claimed). */
  runStartedAt: Date;
  /** Aborted on timeout, on cancellation of the run, and when the worker stops or loses its lease. */
  signal: AbortSignal;
  log: TaskLog;
  /** A pino logger carrying orgId, runId, taskId and attempt; it masks `secrets`, as `log` does. */
  logger: Logger;
  /**
   * The secrets of this attempt: values no log line, error, output or
   * notification of it may show. Register a source's credentials here (and
   * hand it to the extraction, which adds OAuth tokens as it gets them); the
   * worker masks them in everything the attempt logs, stores and reports.
   */
  secrets: SecretMasker;
  /** The `output` of an upstream task of this run (undefined when it gave none). */
  upstreamOutput(taskId: string): Record<string, unknown> | undefined;
  /** The states of every task of the run as they are now. */
  taskStates(): Readonly<Record<string, TaskState>>;
  /** Reports progress; stored at most once a second, so call it as often as convenient. */
  progress(report: TaskProgress): void;
}

export interface TaskDefinition {
  id: string;
  upstream: readonly string[];
  triggerRule?: TriggerRule;
  retry?: Partial<RetryPolicy>;
  /** Longest an attempt may take; it is then aborted and failed (and retried if tries are left). */
  timeoutMs: number;
  /**
   * Under Airflow this task is Airflow's own TriggerDagRunOperator starting
   * `dagId` with `conf` (Jinja-templated strings), instead of a call back
   * to Sluice. The builtin engine runs `run` as usual.
   */
  airflowTrigger?: { dagId: string; conf: Record<string, string> };
  /**
   * Where the task writes, so that its counts can be told apart (metrics):
   * `raw`: `rowsOut` records landed in the raw store; `warehouse`: `rowsOut`
   * rows loaded into a table and `rowsRejected` rows set aside in its
   * `__rejected` table. Other tasks' counts repeat or check those.
   */
  writes?: 'raw' | 'warehouse';
  run(context: TaskContext): Promise<TaskResult | void>;
}

/** A DAG template. `tasks` are listed in an order where each task comes after its upstream tasks. */
export interface PipelineDefinition {
  name: string;
  description: string;
  tasks: readonly TaskDefinition[];
  /**
   * Registers with `context.secrets`, before each task of a run starts,
   * the secrets the run deals with (a connection's credentials), so that
   * every task of the run, whatever it does, masks them.
   */
  registerSecrets?(context: TaskContext): Promise<void>;
}

/** Finds the pipeline a DAG id runs (`etl_workflow_users` → `etl_workflow`), or undefined. */
export interface PipelineRegistry {
  resolve(dagId: string): { pipeline: PipelineDefinition; connectionId: string | null } | undefined;
  get(name: string): PipelineDefinition | undefined;
}
