/**
 * The builtin orchestrator: runs pipelines (DAGs of tasks) from the
 * metadata database with retries, timeouts, leases and CRON schedules.
 * See README.md.
 */
export * from './model.js';
export { DEFAULT_RETRY_POLICY, backoffDelayMs, retryPolicy } from './retry-policy.js';
export { decidePending, planAdvance, planRetry, type AdvancePlan, type TaskSnapshot } from './states.js';
export { RunStore, newRunId, type RunView, type TaskView, type LogView, type RunFilters, type ClaimedAttempt, type CreateRunInput, type ReapScope, type ReapedAttempt } from './run-store.js';
export { WorkerRegistry } from './worker-registry.js';
export { ScheduleStore, type ScheduleView, type NewSchedule, type ScheduleChanges } from './schedule-store.js';
export { WorkerPool, AttemptAborted, type WorkerPoolOptions, type AttemptEvent, type AttemptEndEvent, type RunEndEvent } from './worker.js';
export { Scheduler, type SchedulerOptions, type ScheduleHandover, type ScheduleFiredEvent } from './scheduler.js';
export { Engine, type EngineOptions, type TriggerRequest } from './engine.js';
export * from './schedule/index.js';
