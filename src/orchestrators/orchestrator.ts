import type { RunView, ScheduleView, TriggerRequest } from '../engine/index.js';

/**
 * Who runs the pipelines: the builtin engine (one machine, the default) or
 * Airflow (issue 7). Runs and schedules are kept in Sluice's database with
 * either, so the API, CLI and status endpoints read them the same way; the
 * orchestrator decides how a run gets executed and how a schedule fires.
 */
export interface Orchestrator {
  readonly kind: 'builtin' | 'airflow';
  /** Starts a run of a DAG and answers it as queued (or further along). */
  trigger(request: TriggerRequest): Promise<RunView>;
  cancel(orgId: string, runId: string): Promise<RunView>;
  /** Runs again the failed part of a failed or cancelled run. */
  retry(orgId: string, runId: string): Promise<RunView>;
  waitForRun(orgId: string, runId: string, options?: { timeoutMs?: number; signal?: AbortSignal; onProgress?: (run: RunView) => void }): Promise<RunView>;
  /** A schedule was created or changed (cron, timezone, paused). */
  scheduleSaved(schedule: ScheduleView): Promise<void>;
  scheduleDeleted(schedule: ScheduleView): Promise<void>;
  /** For `/api/health`: whether the orchestrator can take work. */
  health(): Promise<{ ok: boolean; detail: string }>;
  /** Where people see the run in the orchestrator's own UI (Airflow's run page), when there is one. */
  linkFor?(run: RunView): string | undefined;
  /**
   * While this orchestrator cannot fire its own schedules (Airflow unreachable
   * for longer than its grace period, with SLUICE_AIRFLOW_FALLBACK=builtin):
   * the builtin scheduler fires them meanwhile, for fire times after `since`,
   * each run noting `note`. Undefined while the orchestrator fires them itself.
   */
  schedulesFallback?(): { since: Date; note: string } | undefined;
  /** Background work of a serving process (Airflow: copying run states); `sluice start` calls these. */
  start?(): void;
  stop?(): Promise<void>;
}
