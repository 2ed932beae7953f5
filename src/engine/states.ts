import { FINISHED_TASK_STATES, type RunState, type TaskState, type TriggerRule } from './model.js';

/**
 * The state machine of a run, as pure functions: given the states of its
 * tasks, which waiting tasks may start, which can never start, and whether
 * the run has ended. The database code applies the plan inside one
 * transaction holding the run's row lock.
 *
 * Task transitions:
 *   pending ──upstream done──▶ queued ──claim──▶ running ──▶ success
 *      │                          ▲                 │  └───▶ failed (no tries left, or not retryable)
 *      │                          └── up_for_retry ◀┘  (tries left; lease lost counts as a failed try)
 *      ├──upstream failed──▶ upstream_failed
 *      ├──upstream skipped─▶ skipped
 *      └──run cancelled────▶ cancelled   (queued and up_for_retry too; running ones end cancelled)
 */

export interface TaskSnapshot {
  taskId: string;
  state: TaskState;
  upstream: readonly string[];
  triggerRule: TriggerRule;
}

export interface AdvancePlan {
  /** New states for tasks that were pending, queued or up_for_retry. */
  changes: { taskId: string; state: 'queued' | 'upstream_failed' | 'skipped' | 'cancelled' }[];
  /** The run's final state once every task has ended; null while work remains. */
  runState: Extract<RunState, 'success' | 'failed' | 'cancelled'> | null;
}

const FAILED: ReadonlySet<TaskState> = new Set(['failed', 'upstream_failed', 'cancelled']);
const WAITING: ReadonlySet<TaskState> = new Set(['pending', 'queued', 'up_for_retry']);

/** What a pending task becomes given its upstream tasks' states, or null to keep waiting. */
export function decidePending(rule: TriggerRule, upstream: readonly TaskState[]): 'queued' | 'upstream_failed' | 'skipped' | null {
  if (rule === 'all_done') return upstream.every((s) => FINISHED_TASK_STATES.has(s)) ? 'queued' : null;
  if (upstream.some((s) => FAILED.has(s))) return 'upstream_failed';
  if (!upstream.every((s) => FINISHED_TASK_STATES.has(s))) return null;
  return upstream.some((s) => s === 'skipped') ? 'skipped' : 'queued';
}

export function planAdvance(tasks: readonly TaskSnapshot[], options: { cancelRequested: boolean }): AdvancePlan {
  const states = new Map(tasks.map((t) => [t.taskId, t.state]));
  const changes: AdvancePlan['changes'] = [];
  const set = (taskId: string, state: AdvancePlan['changes'][number]['state']) => {
    states.set(taskId, state);
    changes.push({ taskId, state });
  };

  if (options.cancelRequested) {
    for (const t of tasks) if (WAITING.has(t.state)) set(t.taskId, 'cancelled');
  } else {
    // Repeat until nothing changes: an upstream failure runs down a whole chain in one call.
    for (let changed = true; changed; ) {
      changed = false;
      for (const t of tasks) {
        if (states.get(t.taskId) !== 'pending') continue;
        const decision = decidePending(t.triggerRule, t.upstream.map((u) => states.get(u) ?? 'pending'));
        if (decision) {
          set(t.taskId, decision);
          changed = true;
        }
      }
    }
  }

  const all = [...states.values()];
  if (all.some((s) => !FINISHED_TASK_STATES.has(s))) return { changes, runState: null };
  if (options.cancelRequested) return { changes, runState: 'cancelled' };
  if (all.some((s) => s === 'failed' || s === 'upstream_failed')) return { changes, runState: 'failed' };
  if (all.some((s) => s === 'cancelled')) return { changes, runState: 'cancelled' };
  return { changes, runState: 'success' };
}

/**
 * For `POST /api/runs/:id/retry`: what each task of a finished run becomes.
 * Failed, upstream-failed and cancelled tasks run again (those whose
 * upstream all succeeded are queued at once, the others wait), and so does
 * every task downstream of them; the other successful tasks keep their results.
 */
export function planRetry(tasks: readonly TaskSnapshot[]): { taskId: string; state: 'queued' | 'pending' }[] {
  const rerun = new Set(tasks.filter((t) => FAILED.has(t.state) || t.state === 'skipped').map((t) => t.taskId));
  // Whatever ran after a task that runs again runs again too (a notification reports the new outcome).
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of tasks) {
      if (!rerun.has(t.taskId) && t.upstream.some((u) => rerun.has(u))) {
        rerun.add(t.taskId);
        grew = true;
      }
    }
  }
  const states = new Map(tasks.map((t) => [t.taskId, t.state]));
  return tasks
    .filter((t) => rerun.has(t.taskId))
    .map((t) => {
      const ready = t.upstream.every((u) => !rerun.has(u) && (t.triggerRule === 'all_done' || states.get(u) === 'success'));
      return { taskId: t.taskId, state: ready ? ('queued' as const) : ('pending' as const) };
    });
}
