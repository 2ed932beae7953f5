import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { UserError } from '../errors/index.js';
import { silentLogger } from '../logger.js';
import { currentProcess, identityOf } from '../process-identity.js';
import { Engine, type EngineOptions } from './engine.js';
import type { PipelineDefinition, PipelineRegistry, TaskContext, TaskDefinition } from './model.js';
import { RunStore } from './run-store.js';
import { WorkerRegistry } from './worker-registry.js';

/**
 * The engine on a real database with a pipeline made for the test: each
 * task's behaviour is set per test through `behave`, so retries, timeouts,
 * cancellation and lost workers can be provoked on purpose.
 */
type Behaviour = (ctx: TaskContext) => Promise<Record<string, unknown> | void>;

const behave = new Map<string, Behaviour>();
const calls: { taskId: string; attempt: number; runId: string }[] = [];

const task = (id: string, upstream: string[], extra: Partial<TaskDefinition> = {}): TaskDefinition => ({
  id,
  upstream,
  timeoutMs: 10_000,
  retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 50, jitter: 0 },
  async run(ctx) {
    calls.push({ taskId: id, attempt: ctx.attempt, runId: ctx.runId });
    const b = behave.get(id);
    const output = b ? await b(ctx) : undefined;
    return { rowsOut: ctx.attempt, output: output ?? { from: id } };
  },
  ...extra,
});

const chain: PipelineDefinition = {
  name: 'test_chain',
  description: 'a → b → c → notify (all_done)',
  tasks: [task('a', []), task('b', ['a']), task('c', ['b']), task('notify', ['c'], { triggerRule: 'all_done' })],
};
const slow: PipelineDefinition = {
  name: 'test_slow',
  description: 'one task that times out quickly',
  tasks: [task('wait', [], { timeoutMs: 150, retry: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 } })],
};

const registry: PipelineRegistry = {
  get: (name) => [chain, slow].find((p) => p.name === name),
  resolve: (dagId) => {
    const p = [chain, slow].find((x) => dagId === x.name || dagId.startsWith(`${x.name}_`));
    return p ? { pipeline: p, connectionId: null } : undefined;
  },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const forever = (ctx: TaskContext) => new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

describeEachDatabase('engine', (fixture) => {
  let engine: Engine;
  const options = (extra: Partial<EngineOptions> = {}): EngineOptions => ({
    db: fixture.db,
    registry,
    logger: silentLogger(),
    workerConcurrency: 4,
    orgMaxActiveTasks: 4,
    leaseSeconds: 5,
    scheduler: false,
    soleWorker: false,
    pollIntervalMs: 50,
    shutdownGraceMs: 200,
    ...extra,
  });

  beforeAll(async () => {
    for (const org of ['eng-a', 'eng-b']) await fixture.db.query('INSERT INTO orgs (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [org]);
  });

  afterEach(async () => {
    await engine?.stop();
    behave.clear();
    calls.length = 0;
  });

  it('runs a DAG task after task, handing outputs downstream, and ends the run successful', async () => {
    behave.set('b', async (ctx) => ({ seen: ctx.upstreamOutput('a') }));
    engine = new Engine(options());
    engine.start();
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual', conf: { k: 1 } });
    expect(run.state).toBe('queued');
    expect(run.tasks.map((t) => [t.taskId, t.state])).toEqual([
      ['a', 'queued'],
      ['b', 'pending'],
      ['c', 'pending'],
      ['notify', 'pending'],
    ]);
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(done.state).toBe('success');
    expect(done.tasks.every((t) => t.state === 'success' && t.tryNumber === 1)).toBe(true);
    expect(done.tasks.find((t) => t.taskId === 'b')!.output).toEqual({ seen: { from: 'a' } });
    expect(calls.map((c) => c.taskId)).toEqual(['a', 'b', 'c', 'notify']);
    expect(done.startedAt).not.toBeNull();
    expect(done.endedAt).not.toBeNull();
    const logs = await engine.runs.logs('eng-a', run.runId, {});
    expect(logs.some((l) => l.taskId === 'c' && l.message.includes('try 1 of 2 started'))).toBe(true);
  });

  it('retries a task that failed with a passing fault, with backoff, and goes on', async () => {
    behave.set('b', async (ctx) => {
      if (ctx.attempt === 1) throw new Error('connection reset by peer');
    });
    engine = new Engine(options());
    engine.start();
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual' });
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(done.state).toBe('success');
    const b = done.tasks.find((t) => t.taskId === 'b')!;
    expect(b.tryNumber).toBe(2);
    expect(b.rowsOut).toBe(2);
    const logs = await engine.runs.logs('eng-a', run.runId, { taskId: 'b' });
    expect(logs.find((l) => l.level === 'error')?.message).toBe('connection reset by peer');
  });

  it('does not retry the caller\'s fault, fails the tasks downstream, still notifies, and retries only what failed', async () => {
    let broken = true;
    behave.set('b', async () => {
      if (broken) throw new UserError('invalid_config', 'fieldMappings[0].type: not a type');
    });
    engine = new Engine(options());
    engine.start();
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual' });
    const failed = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(failed.state).toBe('failed');
    expect(Object.fromEntries(failed.tasks.map((t) => [t.taskId, [t.state, t.tryNumber]]))).toEqual({
      a: ['success', 1],
      b: ['failed', 1],
      c: ['upstream_failed', 0],
      notify: ['success', 1],
    });
    expect(failed.tasks.find((t) => t.taskId === 'b')!.errorCode).toBe('invalid_config');
    expect(failed.error).toContain('b: fieldMappings[0].type');

    broken = false;
    calls.length = 0;
    const retried = await engine.retry('eng-a', run.runId);
    expect(retried.state).toBe('queued');
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(done.state).toBe('success');
    expect(calls.map((c) => c.taskId)).toEqual(['b', 'c', 'notify']);
    expect(done.tasks.find((t) => t.taskId === 'a')!.tryNumber).toBe(1);
    expect(done.tasks.find((t) => t.taskId === 'b')!.tryNumber).toBe(2);
    await expect(engine.retry('eng-a', run.runId)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('aborts an attempt past its timeout even when the task ignores its signal, and retries it', async () => {
    behave.set('wait', () => new Promise(() => undefined));
    engine = new Engine(options());
    engine.start();
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_slow', trigger: 'manual' });
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(done.state).toBe('failed');
    expect(done.tasks[0]).toMatchObject({ state: 'failed', tryNumber: 2, errorCode: 'task_timeout', error: 'timed out after 150 ms' });
  });

  it('cancels a running run: the running task is aborted, waiting tasks are cancelled', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    behave.set('b', async (ctx) => {
      started();
      await forever(ctx);
    });
    engine = new Engine(options());
    engine.start();
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual' });
    await running;
    await engine.cancel('eng-a', run.runId);
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(done.state).toBe('cancelled');
    expect(done.tasks.map((t) => t.state)).toEqual(['success', 'cancelled', 'cancelled', 'cancelled']);
    await expect(engine.cancel('eng-a', run.runId)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('fails and retries the attempt of a worker that stopped renewing its lease', async () => {
    const store = new RunStore(fixture.db);
    const run = await (engine = new Engine(options())).trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual' });
    // A worker claims `a` with a one-second lease and dies without a word.
    const claim = await store.claim('dead-worker', 1, 4);
    expect(claim).toMatchObject({ runId: run.runId, taskId: 'a', tryNumber: 1 });
    await sleep(1100);
    engine = new Engine(options({ leaseSeconds: 2 }));
    engine.start();
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 15_000 });
    expect(done.state).toBe('success');
    const a = done.tasks.find((t) => t.taskId === 'a')!;
    expect(a.tryNumber).toBe(2);
    const { rows } = await fixture.db.query<{ try_number: number; worker: string; state: string; error: string | null }>(
      "SELECT try_number, worker, state, error FROM task_attempts WHERE run_id = $1 AND task_id = 'a' ORDER BY try_number",
      [run.runId],
    );
    expect(rows[0]).toMatchObject({ try_number: 1, worker: 'dead-worker', state: 'failed' });
    expect(rows[0]!.error).toContain('stopped renewing its lease');
    expect(rows[1]).toMatchObject({ try_number: 2, worker: engine.pool.id, state: 'success' });
    // The dead worker's late report is dropped: it no longer owns the attempt.
    expect(await store.completeAttempt('dead-worker', claim!, { kind: 'success' })).toBeNull();
  });

  it('on the embedded database, fails and retries at start the attempts a killed process left running, without waiting for their lease', async () => {
    const store = new RunStore(fixture.db);
    const run = await (engine = new Engine(options())).trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual' });
    await store.claim('killed-process', 3600, 4);
    engine = new Engine(options({ soleWorker: true }));
    engine.start();
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(done.state).toBe('success');
    expect(done.tasks[0]!.tryNumber).toBe(2);
    const { rows } = await fixture.db.query<{ error: string }>("SELECT error FROM task_attempts WHERE run_id = $1 AND task_id = 'a' AND try_number = 1", [run.runId]);
    expect(rows[0]!.error).toContain('left running by a Sluice process (killed-process)');
  });

  it("takes back at once, whatever their lease, the tasks of this host's workers whose processes died, and leaves the living ones'", async () => {
    const store = new RunStore(fixture.db);
    const workers = new WorkerRegistry(fixture.db);
    engine = new Engine(options());
    // A worker process of this host, killed with SIGKILL while it ran a task with an hour's lease.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const killed = identityOf(child.pid!)!;
    child.kill('SIGKILL');
    await once(child, 'exit');
    const orphaned = await engine.trigger({ orgId: 'eng-a', dagId: 'test_slow_dead', trigger: 'manual' });
    await workers.register('dead-on-this-host', killed);
    expect(await store.claim('dead-on-this-host', 3600, 4)).toMatchObject({ runId: orphaned.runId, taskId: 'wait' });
    // And one whose process runs (this one): its task is its own business.
    const held = await engine.trigger({ orgId: 'eng-a', dagId: 'test_slow_alive', trigger: 'manual' });
    await workers.register('alive-on-this-host', currentProcess());
    const heldClaim = await store.claim('alive-on-this-host', 3600, 4);
    expect(heldClaim).toMatchObject({ runId: held.runId, taskId: 'wait' });

    engine = new Engine(options({ leaseSeconds: 3600 }));
    engine.start();
    const done = await engine.waitForRun('eng-a', orphaned.runId, { timeoutMs: 15_000 });
    expect(done.state).toBe('success');
    expect(done.tasks[0]).toMatchObject({ taskId: 'wait', tryNumber: 2 });
    const { rows } = await fixture.db.query<{ try_number: number; worker: string; state: string; error: string | null }>(
      "SELECT try_number, worker, state, error FROM task_attempts WHERE run_id = $1 AND task_id = 'wait' ORDER BY try_number",
      [orphaned.runId],
    );
    expect(rows.map((r) => [r.try_number, r.worker, r.state])).toEqual([
      [1, 'dead-on-this-host', 'failed'],
      [2, engine.pool.id, 'success'],
    ]);
    expect(rows[0]!.error).toContain(`pid ${child.pid}) is no longer running`);
    const alive = await engine.runs.get('eng-a', held.runId);
    expect(alive.tasks[0]).toMatchObject({ taskId: 'wait', state: 'running', tryNumber: 1 });
    const { rows: registered } = await fixture.db.query<{ id: string }>("SELECT id FROM workers WHERE id LIKE '%-on-this-host' ORDER BY id");
    expect(registered.map((r) => r.id)).toEqual(['alive-on-this-host']);
    await store.completeAttempt('alive-on-this-host', heldClaim!, { kind: 'success' });
    await workers.forget(['alive-on-this-host']);
  });

  it('takes back its own attempt whose end it could not record (the database was away), once the lease ran out', async () => {
    const store = new RunStore(fixture.db);
    engine = new Engine(options({ leaseSeconds: 2 }));
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_slow_own', trigger: 'manual' });
    // This pool's own claim, which it no longer runs: as after an attempt whose end could not be written.
    expect(await store.claim(engine.pool.id, 1, 4)).toMatchObject({ runId: run.runId, taskId: 'wait' });
    engine.start();
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 15_000 });
    expect(done.state).toBe('success');
    expect(done.tasks[0]).toMatchObject({ taskId: 'wait', tryNumber: 2 });
  });

  it("retries at once a task whose worker died, but after the backoff one whose worker's lease ran out", async () => {
    const store = new RunStore(fixture.db);
    engine = new Engine(options());
    const hour = () => 3_600_000;
    const dead = await engine.trigger({ orgId: 'eng-b', dagId: 'test_slow_reap_dead', trigger: 'manual' });
    expect(await store.claim('gone', 1, 4)).toMatchObject({ runId: dead.runId });
    expect(await store.reap({ kind: 'dead', owners: [{ id: 'gone', why: 'its process is no longer running' }] }, hour)).toEqual([
      { runId: dead.runId, taskId: 'wait', tryNumber: 1, owner: 'gone', state: 'up_for_retry' },
    ]);
    expect(await store.claim('next', 30, 4)).toMatchObject({ runId: dead.runId, taskId: 'wait', tryNumber: 2 });
    await store.completeAttempt('next', { runId: dead.runId, taskId: 'wait', tryNumber: 2 }, { kind: 'success' });

    const stalled = await engine.trigger({ orgId: 'eng-b', dagId: 'test_slow_reap_expired', trigger: 'manual' });
    expect(await store.claim('stalled', 1, 4)).toMatchObject({ runId: stalled.runId });
    await sleep(1100);
    expect(await store.reap({ kind: 'expired', worker: 'me', running: [] }, hour)).toMatchObject([{ runId: stalled.runId, taskId: 'wait', state: 'up_for_retry' }]);
    expect(await store.claim('next', 30, 4)).toBeNull();
    await engine.cancel('eng-b', stalled.runId);
  });

  it('creates one run per schedule and fire time, whoever asks', async () => {
    const store = new RunStore(fixture.db);
    await fixture.db.query("INSERT INTO connections (id, org_id, name, config) VALUES ('eng-conn', 'eng-a', 'c', '{}') ON CONFLICT DO NOTHING");
    const { rows } = await fixture.db.query<{ id: string }>(
      `INSERT INTO schedules (id, org_id, connection_id, dag_id, schedule_type, cron_expression, last_fire_at)
       VALUES ('eng-sched', 'eng-a', 'eng-conn', 'test_chain', 'daily', '0 0 * * *', now()) RETURNING id`,
    );
    const input = { orgId: 'eng-a', dagId: 'test_chain', pipeline: chain, scheduleId: rows[0]!.id, fireAt: new Date('2026-11-21T00:00:00Z'), trigger: 'schedule' as const };
    const [first, second] = await Promise.all([store.createRun(input), store.createRun(input)]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await store.createRun(input)).toBeNull();
    expect(await store.createRun({ ...input, fireAt: new Date('2026-11-22T00:00:00Z') })).not.toBeNull();
  });

  it("keeps an organisation within its limit of running tasks, and a DAG within max_active_runs", async () => {
    let running = 0;
    let peak = 0;
    behave.set('a', async (ctx) => {
      if (ctx.orgId !== 'eng-b') return;
      running += 1;
      peak = Math.max(peak, running);
      await sleep(60);
      running -= 1;
    });
    engine = new Engine(options({ orgMaxActiveTasks: 1 }));
    engine.start();
    const runs = await Promise.all([1, 2, 3].map((i) => engine.trigger({ orgId: 'eng-b', dagId: `test_chain_${i}`, trigger: 'manual' })));
    const done = await Promise.all(runs.map((r) => engine.waitForRun('eng-b', r.runId, { timeoutMs: 15_000 })));
    expect(done.map((r) => r.state)).toEqual(['success', 'success', 'success']);
    expect(peak).toBe(1);

    // Two runs of one DAG with max_active_runs 1 run one after the other.
    await engine.stop();
    engine = new Engine(options());
    const first = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain_serial', trigger: 'manual' });
    const second = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain_serial', trigger: 'manual' });
    engine.start();
    const [r1, r2] = await Promise.all([first, second].map((r) => engine.waitForRun('eng-a', r.runId, { timeoutMs: 15_000 })));
    expect(r1!.state).toBe('success');
    expect(r2!.state).toBe('success');
    expect(new Date(r2!.startedAt!).getTime()).toBeGreaterThanOrEqual(new Date(r1!.endedAt!).getTime());
  });

  it('deletes finished runs past their retention with their tasks, attempts and logs, and keeps the rest', async () => {
    engine = new Engine(options());
    engine.start();
    const old = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain_prune', trigger: 'manual' });
    await engine.waitForRun('eng-a', old.runId, { timeoutMs: 10_000 });
    await engine.stop();
    // Triggered with no worker running: it stays queued.
    const active = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain_prune_active', trigger: 'manual' });
    await fixture.db.query("UPDATE runs SET ended_at = now() - interval '100 days' WHERE id = $1", [old.runId]);
    const store = new RunStore(fixture.db);
    expect(await store.prune(new Date(Date.now() - 90 * 86_400_000))).toBe(1);
    await expect(store.get('eng-a', old.runId)).rejects.toMatchObject({ code: 'not_found' });
    for (const table of ['task_instances', 'task_attempts', 'task_logs']) {
      const { rows } = await fixture.db.query(`SELECT 1 FROM ${table} WHERE run_id = $1`, [old.runId]);
      expect(rows, table).toHaveLength(0);
    }
    // A run that has not ended is never pruned, however old.
    await fixture.db.query("UPDATE runs SET queued_at = now() - interval '400 days' WHERE id = $1", [active.runId]);
    expect(await store.prune(new Date(Date.now() - 30 * 86_400_000))).toBe(0);
    expect((await store.get('eng-a', active.runId)).state).toBe('queued');
    await store.cancel('eng-a', active.runId);
  });

  it('stores outputs, logs, errors and conf holding NUL or lone surrogates, escaped, and the run goes on', async () => {
    behave.set('a', async (ctx) => {
      ctx.log.info('a line with a NUL \u0000 and a lone \ud800', { ['k\u0000']: 'v\udc00' });
      ctx.progress({ message: 'x\u0000' });
      return { ['field\u0000name']: ['value\u0000', 'half \ud83d'] };
    });
    behave.set('b', async (ctx) => {
      if (ctx.attempt === 1) throw new Error('the source said \u0000 and \ud800');
    });
    engine = new Engine(options());
    engine.start();
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual', conf: { ['c\u0000']: '\ud800' } });
    const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 10_000 });
    expect(done.state, JSON.stringify(done.tasks)).toBe('success');
    expect(done.conf).toEqual({ 'c\\u0000': '\\ud800' });
    expect(done.tasks.find((t) => t.taskId === 'a')!.output).toEqual({ 'field\\u0000name': ['value\\u0000', 'half \\ud83d'] });
    const logs = await engine.runs.logs('eng-a', run.runId, {});
    expect(logs.find((l) => l.taskId === 'a' && l.message.startsWith('a line'))).toMatchObject({ message: 'a line with a NUL \\u0000 and a lone \\ud800', data: { 'k\\u0000': 'v\\udc00' } });
    expect(logs.find((l) => l.taskId === 'b' && l.level === 'error')?.message).toBe('the source said \\u0000 and \\ud800');
  });

  it('fails an attempt whose result the database refuses, at once, instead of leaving it running until its lease ends', async () => {
    // A result refused as a data exception (class 22), whatever the cause: a trigger stands in for one.
    await fixture.db.exec(`
      CREATE OR REPLACE FUNCTION refuse_marked_output() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.output ? 'refuse_me' THEN RAISE EXCEPTION 'value refused' USING ERRCODE = 'data_exception'; END IF;
        RETURN NEW;
      END $$;
      DROP TRIGGER IF EXISTS refuse_marked_output ON task_instances;
      CREATE TRIGGER refuse_marked_output BEFORE UPDATE ON task_instances FOR EACH ROW EXECUTE FUNCTION refuse_marked_output();`);
    try {
      behave.set('a', async () => ({ refuse_me: true }));
      engine = new Engine(options({ leaseSeconds: 600 }));
      engine.start();
      const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual' });
      const done = await engine.waitForRun('eng-a', run.runId, { timeoutMs: 15_000 });
      expect(done.state).toBe('failed');
      expect(done.tasks.find((t) => t.taskId === 'a')).toMatchObject({ state: 'failed', tryNumber: 1, errorCode: 'internal' });
      expect(done.tasks.find((t) => t.taskId === 'a')!.error).toMatch(/^the task ended, but its result could not be stored: value refused/);
    } finally {
      await fixture.db.exec('DROP TRIGGER IF EXISTS refuse_marked_output ON task_instances');
    }
  });

  it("never shows or touches another organisation's run", async () => {
    engine = new Engine(options());
    const run = await engine.trigger({ orgId: 'eng-a', dagId: 'test_chain', trigger: 'manual' });
    await expect(engine.runs.get('eng-b', run.runId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(engine.cancel('eng-b', run.runId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(engine.retry('eng-b', run.runId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(engine.runs.logs('eng-b', run.runId, {})).rejects.toMatchObject({ code: 'not_found' });
    expect((await engine.runs.list('eng-b', {})).some((r) => r.runId === run.runId)).toBe(false);
    await engine.cancel('eng-a', run.runId);
  });
});

describe('engine, no database work', () => {
  it('refuses a DAG id no pipeline runs', async () => {
    const engine = new Engine({
      db: {} as never,
      registry,
      logger: silentLogger(),
      workerConcurrency: 0,
      orgMaxActiveTasks: 1,
      leaseSeconds: 5,
      scheduler: false,
      soleWorker: false,
    });
    await expect(engine.trigger({ orgId: 'x', dagId: 'nope', trigger: 'manual' })).rejects.toMatchObject({ code: 'not_found' });
  });
});

afterAll(() => behave.clear());
