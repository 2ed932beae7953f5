import { beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { random } from '../../test/helpers/random.js';
import type { Database } from '../db/index.js';
import type { PipelineDefinition, TaskDefinition } from './model.js';
import { RunStore, type ClaimedAttempt } from './run-store.js';

/**
 * The claim against a real database, driven step by step (no worker pool,
 * no timers), so that every claim can be checked against an oracle computed
 * from the tables: the limits hold, a claim with free slots never comes back
 * short while a claimable task waits, and free slots go to the organisations
 * with the fewest running tasks.
 */
const task = (id: string, upstream: string[]): TaskDefinition => ({ id, upstream, timeoutMs: 10_000, retry: { maxAttempts: 1 }, run: async () => ({}) });
const pipelines: PipelineDefinition[] = [
  { name: 'one', description: 'a', tasks: [task('a', [])] },
  { name: 'two', description: 'a → b', tasks: [task('a', []), task('b', ['a'])] },
  { name: 'three', description: 'a → b → c', tasks: [task('a', []), task('b', ['a']), task('c', ['b'])] },
  { name: 'fork', description: 'a, b → c', tasks: [task('a', []), task('b', []), task('c', ['a', 'b'])] },
];

interface TaskState {
  run_id: string;
  task_id: string;
  org_id: string;
  dag_id: string;
  state: string;
  run_state: string;
  max_active_runs: number;
}

/** What the tables say: the tasks of the runs in `orgs`, with their runs' states and limits. */
async function tasksOf(db: Database, orgs: string[]): Promise<TaskState[]> {
  const { rows } = await db.query<TaskState>(
    `SELECT ti.run_id, ti.task_id, ti.org_id, r.dag_id, ti.state, r.state AS run_state, r.max_active_runs
       FROM task_instances ti JOIN runs r ON r.id = ti.run_id
      WHERE ti.org_id = ANY($1::text[])`,
    [orgs],
  );
  return rows;
}

/** The oracle: ready tasks that the limits allow to start now. */
function claimable(tasks: TaskState[], orgMax: number): TaskState[] {
  const running = new Map<string, number>();
  const activeRuns = new Map<string, Set<string>>();
  for (const t of tasks) {
    if (t.state === 'running') running.set(t.org_id, (running.get(t.org_id) ?? 0) + 1);
    if (t.run_state === 'running') {
      const key = `${t.org_id}/${t.dag_id}`;
      activeRuns.set(key, (activeRuns.get(key) ?? new Set()).add(t.run_id));
    }
  }
  return tasks.filter(
    (t) =>
      (t.state === 'queued' || t.state === 'up_for_retry') &&
      (running.get(t.org_id) ?? 0) < orgMax &&
      (t.run_state === 'running' || (activeRuns.get(`${t.org_id}/${t.dag_id}`)?.size ?? 0) < t.max_active_runs),
  );
}

const runningBy = (tasks: TaskState[]) => {
  const m = new Map<string, number>();
  for (const t of tasks) if (t.state === 'running') m.set(t.org_id, (m.get(t.org_id) ?? 0) + 1);
  return m;
};

describeEachDatabase('claiming ready tasks', (fixture) => {
  let store: RunStore;
  const createOrg = (id: string) => fixture.db.query('INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [id]);

  beforeAll(() => {
    store = new RunStore(fixture.db);
  });

  it("finds the running run's next task behind any number of queued runs its DAG holds back", async () => {
    // The stall seen with eleven concurrent uploads: ten queued runs of a DAG at max_active_runs sat
    // in front of the running run's second task, and every claim took only them.
    await createOrg('stall');
    await createOrg('stall-other');
    const two = pipelines[1]!;
    const runs = [];
    for (let i = 0; i < 12; i++) runs.push((await store.createRun({ orgId: 'stall', dagId: 'ingest', pipeline: two, trigger: 'api', maxActiveRuns: 1 }))!);
    const first = await store.claim('w', 60, 4);
    expect(first).toMatchObject({ runId: runs[0]!.runId, taskId: 'a' });
    await store.completeAttempt('w', first!, { kind: 'success' });
    // Another organisation's run, queued after all of them, must not wait behind them either.
    const other = (await store.createRun({ orgId: 'stall-other', dagId: 'ingest', pipeline: two, trigger: 'api' }))!;

    const next = await store.claimBatch('w', 60, 4, 4);
    expect(next.map((c) => `${c.runId}/${c.taskId}`).sort()).toEqual([`${runs[0]!.runId}/b`, `${other.runId}/a`].sort());
    for (const c of next) await store.completeAttempt('w', c, { kind: 'success' });
    // The first run ended, so the second may start: the queue drains in order.
    const then = await store.claimBatch('w', 60, 4, 4);
    expect(then.map((c) => `${c.runId}/${c.taskId}`).sort()).toEqual([`${runs[1]!.runId}/a`, `${other.runId}/b`].sort());
  });

  it('gives free slots to the organisation with the fewest running tasks, not to the longest queue', async () => {
    await createOrg('busy');
    await createOrg('quiet');
    const one = pipelines[0]!;
    for (let i = 0; i < 20; i++) await store.createRun({ orgId: 'busy', dagId: `busy_${i}`, pipeline: one, trigger: 'api' });
    const held = await store.claimBatch('w', 60, 10, 3);
    expect(held.every((c) => c.orgId === 'busy')).toBe(true);
    // The busy organisation holds three slots and its queue is older; of the next four, the quiet one gets three.
    for (let i = 0; i < 3; i++) await store.createRun({ orgId: 'quiet', dagId: `quiet_${i}`, pipeline: one, trigger: 'api' });
    const next = await store.claimBatch('w', 60, 10, 4);
    expect(next.filter((c) => c.orgId === 'quiet')).toHaveLength(3);
    expect(next.filter((c) => c.orgId === 'busy')).toHaveLength(1);
  });

  it("counts only the engine's own runs against max_active_runs: a run another orchestrator left running holds nothing back", async () => {
    await createOrg('handover');
    const one = pipelines[0]!;
    const stuck = (await store.createRun({ orgId: 'handover', dagId: 'etl_workflow_x', pipeline: one, trigger: 'schedule', orchestrator: 'airflow', maxActiveRuns: 1 }))!;
    await fixture.db.query("UPDATE runs SET state = 'running', started_at = now() WHERE id = $1", [stuck.runId]);
    const fallback = (await store.createRun({ orgId: 'handover', dagId: 'etl_workflow_x', pipeline: one, trigger: 'schedule', maxActiveRuns: 1 }))!;
    expect((await store.claimBatch('w', 60, 4, 4)).map((c) => c.runId)).toEqual([fallback.runId]);
  });

  it("hands each claimed attempt its run's tasks as the claim left them: siblings claimed with it running, upstream outputs", async () => {
    await createOrg('states');
    const fork = pipelines[3]!;
    const run = (await store.createRun({ orgId: 'states', dagId: 'fork', pipeline: fork, trigger: 'api' }))!;
    const both = await store.claimBatch('w', 60, 4, 4);
    expect(both.map((c) => c.taskId).sort()).toEqual(['a', 'b']);
    for (const c of both) expect(c.runTasks?.states).toEqual({ a: 'running', b: 'running', c: 'pending' });
    for (const c of both) await store.completeAttempt('w', c, { kind: 'success', output: { from: c.taskId } });
    const [join] = await store.claimBatch('w', 60, 4, 4);
    expect(join).toMatchObject({ runId: run.runId, taskId: 'c' });
    expect(join!.runTasks).toEqual({ states: { a: 'success', b: 'success', c: 'running' }, outputs: { a: { from: 'a' }, b: { from: 'b' }, c: null } });
    // What the worker would read without it, read after the claim: the same.
    expect(await store.taskStates(run.runId)).toEqual(join!.runTasks);
  });

  it('never starves a ready task and never breaks a limit, over random mixes of limits and queues', { timeout: 180_000 }, async () => {
    const rnd = random(0x5eed);
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    for (let scenario = 0; scenario < 10; scenario++) {
      const orgs = Array.from({ length: int(1, 4) }, (_, i) => `prop-${scenario}-${i}`);
      for (const org of orgs) await createOrg(org);
      const orgMax = int(1, 4);
      let runCount = 0;
      for (const org of orgs) {
        for (let d = int(1, 3); d > 0; d--) {
          const pipeline = pipelines[int(0, pipelines.length - 1)]!;
          const maxActiveRuns = int(1, 3);
          for (let r = int(1, 10); r > 0; r--) {
            await store.createRun({ orgId: org, dagId: `dag_${d}`, pipeline, trigger: 'api', maxActiveRuns });
            runCount++;
          }
        }
      }
      const held: ClaimedAttempt[] = [];
      for (let step = 0; step < 2000; step++) {
        const before = await tasksOf(fixture.db, orgs);
        if (before.every((t) => t.run_state === 'success')) break;
        if (held.length > 0 && (rnd() < 0.5 || claimable(before, orgMax).length === 0)) {
          const done = held.splice(int(0, held.length - 1), 1)[0]!;
          expect(await store.completeAttempt('w', done, { kind: 'success' })).not.toBeNull();
          continue;
        }
        const limit = int(1, 5);
        const got = await store.claimBatch('w', 60, orgMax, limit);
        held.push(...got);
        const after = await tasksOf(fixture.db, orgs);
        const context = `scenario ${scenario} step ${step}: orgMax ${orgMax}, limit ${limit}, got ${got.length}`;

        // Limits: running tasks per organisation, running runs per DAG.
        const running = runningBy(after);
        for (const n of running.values()) expect(n, context).toBeLessThanOrEqual(orgMax);
        const runsByDag = new Map<string, { runs: Set<string>; max: number }>();
        for (const t of after.filter((x) => x.run_state === 'running')) {
          const key = `${t.org_id}/${t.dag_id}`;
          const entry = runsByDag.get(key) ?? { runs: new Set<string>(), max: t.max_active_runs };
          runsByDag.set(key, { runs: entry.runs.add(t.run_id), max: entry.max });
        }
        for (const { runs, max } of runsByDag.values()) expect(runs.size, context).toBeLessThanOrEqual(max);

        // Liveness: a claim that came back short left nothing it could have taken.
        if (got.length < limit) expect(claimable(after, orgMax).map((t) => `${t.run_id}/${t.task_id}`), context).toEqual([]);

        // Fair share: an organisation given a slot now ends with at most one running task more
        // than any organisation still left with a claimable task.
        const left = new Set(claimable(after, orgMax).map((t) => t.org_id));
        for (const winner of new Set(got.map((c) => c.orgId))) {
          for (const loser of left) expect(running.get(winner) ?? 0, `${context}: ${winner} over ${loser}`).toBeLessThanOrEqual((running.get(loser) ?? 0) + 1);
        }
      }
      const end = await tasksOf(fixture.db, orgs);
      expect(new Set(end.map((t) => t.run_id)).size).toBe(runCount);
      expect(end.filter((t) => t.run_state !== 'success').map((t) => `${t.run_id}/${t.task_id} ${t.state}`)).toEqual([]);
    }
  });
});
