import { describe, expect, it } from 'vitest';
import type { TaskState } from './model.js';
import { decidePending, planAdvance, planRetry, type TaskSnapshot } from './states.js';

/** The etl_workflow chain: extract → load → health_check → send_notification (all_done). */
const chain = (states: [TaskState, TaskState, TaskState, TaskState]): TaskSnapshot[] => [
  { taskId: 'extract', state: states[0], upstream: [], triggerRule: 'all_success' },
  { taskId: 'load', state: states[1], upstream: ['extract'], triggerRule: 'all_success' },
  { taskId: 'health_check', state: states[2], upstream: ['load'], triggerRule: 'all_success' },
  { taskId: 'send_notification', state: states[3], upstream: ['health_check'], triggerRule: 'all_done' },
];

describe('decidePending', () => {
  it('queues an all_success task only when every upstream task succeeded or was skipped', () => {
    expect(decidePending('all_success', ['success', 'success'])).toBe('queued');
    expect(decidePending('all_success', ['success', 'running'])).toBeNull();
    expect(decidePending('all_success', ['success', 'up_for_retry'])).toBeNull();
    expect(decidePending('all_success', ['success', 'skipped'])).toBe('skipped');
    expect(decidePending('all_success', [])).toBe('queued');
  });

  it('fails an all_success task as soon as one upstream task failed, without waiting for the others', () => {
    expect(decidePending('all_success', ['failed', 'running'])).toBe('upstream_failed');
    expect(decidePending('all_success', ['upstream_failed'])).toBe('upstream_failed');
    expect(decidePending('all_success', ['cancelled'])).toBe('upstream_failed');
  });

  it('queues an all_done task once every upstream task ended, however it ended', () => {
    expect(decidePending('all_done', ['failed', 'success'])).toBe('queued');
    expect(decidePending('all_done', ['upstream_failed'])).toBe('queued');
    expect(decidePending('all_done', ['failed', 'running'])).toBeNull();
  });
});

describe('planAdvance', () => {
  it('queues the next task of the chain when its upstream task succeeded', () => {
    const plan = planAdvance(chain(['success', 'pending', 'pending', 'pending']), { cancelRequested: false });
    expect(plan.changes).toEqual([{ taskId: 'load', state: 'queued' }]);
    expect(plan.runState).toBeNull();
  });

  it('runs a failure down the chain in one call, still notifies, and fails the run at the end', () => {
    const plan = planAdvance(chain(['success', 'failed', 'pending', 'pending']), { cancelRequested: false });
    expect(plan.changes).toEqual([
      { taskId: 'health_check', state: 'upstream_failed' },
      { taskId: 'send_notification', state: 'queued' },
    ]);
    expect(plan.runState).toBeNull();
    const done = planAdvance(chain(['success', 'failed', 'upstream_failed', 'success']), { cancelRequested: false });
    expect(done).toEqual({ changes: [], runState: 'failed' });
  });

  it('calls a run successful only when every task ended well', () => {
    expect(planAdvance(chain(['success', 'success', 'success', 'success']), { cancelRequested: false }).runState).toBe('success');
    expect(planAdvance(chain(['success', 'success', 'success', 'running']), { cancelRequested: false }).runState).toBeNull();
  });

  it('keeps a run open while a task waits for its retry', () => {
    const plan = planAdvance(chain(['up_for_retry', 'pending', 'pending', 'pending']), { cancelRequested: false });
    expect(plan).toEqual({ changes: [], runState: null });
  });

  it('cancels waiting tasks of a cancelled run and ends it once running tasks stopped', () => {
    const plan = planAdvance(chain(['success', 'running', 'pending', 'pending']), { cancelRequested: true });
    expect(plan.changes).toEqual([
      { taskId: 'health_check', state: 'cancelled' },
      { taskId: 'send_notification', state: 'cancelled' },
    ]);
    expect(plan.runState).toBeNull();
    const ended = planAdvance(chain(['success', 'cancelled', 'cancelled', 'cancelled']), { cancelRequested: true });
    expect(ended.runState).toBe('cancelled');
  });
});

describe('planRetry', () => {
  it('re-runs the failed task and everything after it, keeping earlier results', () => {
    const plan = planRetry(chain(['success', 'failed', 'upstream_failed', 'success']));
    expect(plan).toEqual([
      { taskId: 'load', state: 'queued' },
      { taskId: 'health_check', state: 'pending' },
      { taskId: 'send_notification', state: 'pending' },
    ]);
  });

  it('has nothing to do for a successful run', () => {
    expect(planRetry(chain(['success', 'success', 'success', 'success']))).toEqual([]);
  });

  it('re-runs a cancelled run from the first task that did not finish', () => {
    const plan = planRetry(chain(['cancelled', 'cancelled', 'cancelled', 'cancelled']));
    expect(plan[0]).toEqual({ taskId: 'extract', state: 'queued' });
    expect(plan.slice(1).every((p) => p.state === 'pending')).toBe(true);
  });
});
