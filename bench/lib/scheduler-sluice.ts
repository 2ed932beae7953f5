/**
 * Sluice's side of bench/scheduler: the builtin orchestrator (src/engine) on
 * a migrated database, with a 4-task chain pipeline whose tasks only record
 * when they ran.
 */
import type { Database } from '../../src/db/index.js';
import { Engine, Scheduler, type PipelineDefinition, type PipelineRegistry, type TaskDefinition } from '../../src/engine/index.js';
import { silentLogger } from '../../src/logger.js';
import { CHAIN_STEPS, ChainFeeder, Countdown, nowMs, percentile, stepGaps, within, type SchedulerBenchResult, type SchedulerBenchSettings } from './scheduler-common.js';

/** Start and end times of task work, by `<runId>/<taskId>`; swapped for each measure. */
interface Recorder {
  starts: Map<string, number>;
  ends: Map<string, number>;
  onStart?: (runId: string, taskId: string, at: number) => void;
}

let recorder: Recorder = { starts: new Map(), ends: new Map() };

const step = (id: string, upstream: string[]): TaskDefinition => ({
  id,
  upstream,
  timeoutMs: 60_000,
  async run(ctx) {
    const key = `${ctx.runId}/${id}`;
    const at = nowMs();
    recorder.starts.set(key, at);
    recorder.onStart?.(ctx.runId, id, at);
    recorder.ends.set(key, nowMs());
  },
});

const chain: PipelineDefinition = {
  name: 'bench_chain',
  description: 'a → b → c → d, each task a no-op that records when it ran',
  tasks: CHAIN_STEPS.map((id, k) => step(id, k === 0 ? [] : [CHAIN_STEPS[k - 1]!])),
};

/** Every `bench_chain_*` DAG runs the chain. */
const registry: PipelineRegistry = {
  get: (name) => (name === chain.name ? chain : undefined),
  resolve: (dagId) => (dagId.startsWith(`${chain.name}_`) ? { pipeline: chain, connectionId: null } : undefined),
};

const orgOf = (i: number, s: SchedulerBenchSettings) => `bench-${i % s.orgs}`;

function engineFor(db: Database, s: SchedulerBenchSettings): Engine {
  return new Engine({
    db,
    registry,
    logger: silentLogger(),
    workerConcurrency: s.concurrency,
    // Limits are not what is measured: high enough never to hold a task back.
    orgMaxActiveTasks: 1_000_000,
    leaseSeconds: 30,
    scheduler: false,
    soleWorker: db.kind === 'pglite',
    pollIntervalMs: s.workerPollMs,
    shutdownGraceMs: 5_000,
  });
}

/**
 * Times every claim transaction of the engine's worker pool (a diagnosis:
 * their duration bounds how fast ready tasks start). A transaction claims
 * as many tasks as the pool has free slots.
 */
function timeClaims(engine: Engine): { found: number[]; empty: number[] } {
  const times = { found: [] as number[], empty: [] as number[] };
  const claimBatch = engine.runs.claimBatch.bind(engine.runs);
  engine.runs.claimBatch = async (...args) => {
    const started = nowMs();
    const claimed = await claimBatch(...args);
    (claimed.length > 0 ? times.found : times.empty).push(nowMs() - started);
    return claimed;
  };
  return times;
}

const claimNote = (times: { found: number[]; empty: number[] }): string =>
  `claim transactions: ${times.found.length} found a task (p50 ${percentile(times.found, 50).toFixed(1)} ms, p99 ${percentile(times.found, 99).toFixed(1)} ms), ` +
  `${times.empty.length} found none (p50 ${percentile(times.empty, 50).toFixed(1)} ms)`;

/** Runs both measures on a migrated, empty database. */
export async function benchSluice(db: Database, s: SchedulerBenchSettings): Promise<SchedulerBenchResult> {
  await db.query(`INSERT INTO orgs (id, name) SELECT 'bench-' || i, 'bench ' || i FROM generate_series(0, $1::int - 1) i ON CONFLICT DO NOTHING`, [s.orgs]);
  const t = nowMs();
  const fire = await fireLag(db, s);
  const t1 = nowMs();
  const chains = await chainLatency(db, s);
  const t2 = nowMs();
  await db.query(`DELETE FROM orgs WHERE id LIKE 'bench-%'`);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const phases = `phases: fire lag ${seconds(t1 - t)} (${fire.phases}), chains ${seconds(t2 - t1)}`;
  return { fireLagMs: fire.lags, stepMs: chains.steps, stepParts: chains.parts, notes: [...fire.notes, ...chains.notes, phases] };
}

/**
 * `s.schedules` daily CRON schedules all due at one minute boundary M (daily,
 * so that a burst that takes longer than a minute to start is not joined by
 * the next minute's runs). The scheduler's clock is shifted so that M comes at a known instant T0
 * a moment after start, at a random phase of its tick: the lag of a run is
 * the start of its first task minus T0.
 */
async function fireLag(db: Database, s: SchedulerBenchSettings): Promise<{ lags: number[]; notes: string[]; phases: string }> {
  const n = s.schedules;
  const began = nowMs();
  await db.query(
    `INSERT INTO connections (id, org_id, name, config)
     SELECT 'bench_conn_' || i, 'bench-' || (i % $2::int), 'bench ' || i, '{}'::jsonb FROM generate_series(0, $1::int - 1) i`,
    [n, s.orgs],
  );
  const boundary = Math.floor(Date.now() / 60_000) * 60_000 + 120_000;
  const engine = engineFor(db, s);
  const claims = timeClaims(engine);
  const inserting: Promise<unknown>[] = [];
  const parallel = db.kind === 'postgres' ? Math.max(1, s.poolMax - 2) : 1;
  for (let i = 0; i < n; i++) {
    inserting.push(
      engine.schedules.create(
        {
          orgId: orgOf(i, s),
          connectionId: `bench_conn_${i}`,
          dagId: `bench_chain_${i}`,
          scheduleType: 'custom',
          cronExpression: `${new Date(boundary).getUTCMinutes()} ${new Date(boundary).getUTCHours()} * * *`,
          timezone: 'UTC',
          paused: false,
          overlapPolicy: 'skip',
          missedRunPolicy: 'latest',
          missedRunWindowSeconds: 86_400,
          maxActiveRuns: 1,
          orchestrator: 'builtin',
          nextFireAt: new Date(boundary),
          createdBy: null,
        },
        new Date(boundary - 60_000),
      ),
    );
    if (inserting.length >= parallel) await Promise.all(inserting.splice(0));
  }
  await Promise.all(inserting);
  const inserted = nowMs();

  const firstStartAt = new Map<string, number>();
  const allStarted = new Countdown(n);
  recorder = {
    starts: new Map(),
    ends: new Map(),
    onStart: (runId, taskId, at) => {
      if (taskId !== CHAIN_STEPS[0]) return;
      firstStartAt.set(runId, at);
      allStarted.add();
    },
  };
  let offset = 0;
  let dueSeenAt: number | undefined;
  const createdAt: number[] = [];
  const scheduler = new Scheduler({
    db,
    runs: engine.runs,
    schedules: engine.schedules,
    registry,
    logger: silentLogger(),
    tickMs: s.tickMs,
    // As Engine wires its own scheduler: workers in this process look for work at once.
    onRunsCreated: () => {
      createdAt.push(nowMs());
      engine.pool.wake();
    },
    now: () => {
      const at = Date.now() + offset;
      if (at >= boundary) dueSeenAt ??= nowMs();
      return new Date(at);
    },
  });
  const t0 = nowMs() + 1000 + Math.random() * s.tickMs;
  offset = boundary - t0;
  try {
    engine.start();
    scheduler.start();
    await within(allStarted.reached, 60_000 + n * 100, `the first tasks of ${n} scheduled runs`);
  } finally {
    await scheduler.stop();
    await engine.stop();
  }
  const stopped = nowMs();
  const lags = [...firstStartAt.values()].map((at) => at - t0);
  const { rows } = await db.query<{ runs: number }>('SELECT count(*)::int AS runs FROM runs WHERE schedule_id IS NOT NULL');
  if (rows[0]!.runs !== n) throw new Error(`the scheduler created ${rows[0]!.runs} runs for ${n} due schedules`);
  await db.query(`DELETE FROM runs`);
  await db.query(`DELETE FROM connections WHERE id LIKE 'bench_conn_%'`);
  const cleaned = nowMs();
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const since = (at: number | undefined) => (at === undefined ? '?' : `${(at - t0).toFixed(0)} ms`);
  return {
    lags,
    phases: `creating schedules ${secs(inserted - began)}, firing ${secs(stopped - inserted)}, cleaning up ${secs(cleaned - stopped)}`,
    notes: [
      `the scheduler tick that saw the ${n} schedules due began ${since(dueSeenAt)} after T0 and had created all runs at ${since(createdAt[0])} ` +
        `(it wakes the workers after each batch of runs it creates)`,
      `fire lag: ${claimNote(claims)}`,
    ],
  };
}

/**
 * `s.chains` runs of the chain, `s.concurrency` at a time, after as many
 * for warming up. Besides the step latency, splits each step into where the
 * time goes, with the worker pool's events.
 */
async function chainLatency(db: Database, s: SchedulerBenchSettings): Promise<{ steps: number[]; parts: SchedulerBenchResult['stepParts']; notes: string[] }> {
  const engine = engineFor(db, s);
  const reported = new Map<string, number>();
  const claimed = new Map<string, number>();
  engine.pool.on('attemptStarted', (e: { claim: { runId: string; taskId: string } }) => claimed.set(`${e.claim.runId}/${e.claim.taskId}`, nowMs()));
  engine.pool.on('attemptEnded', (e: { claim: { runId: string; taskId: string } }) => reported.set(`${e.claim.runId}/${e.claim.taskId}`, nowMs()));
  engine.start();
  try {
    const run = async (prefix: string, total: number): Promise<string[]> => {
      const ended: string[] = [];
      const feeder = new ChainFeeder(total, s.concurrency, async (i) => {
        await engine.trigger({ orgId: orgOf(i, s), dagId: `bench_chain_${prefix}${i}`, trigger: 'api' });
      });
      const onEnd = (e: { runId: string; state: string }) => {
        if (e.state !== 'success') return feeder.fail(new Error(`run ${e.runId} ended ${e.state}`));
        ended.push(e.runId);
        feeder.ended();
      };
      engine.pool.on('runEnded', onEnd);
      try {
        feeder.begin();
        await within(feeder.done, 60_000 + total * 500, `${total} chains to end`);
      } finally {
        engine.pool.off('runEnded', onEnd);
      }
      return ended;
    };
    recorder = { starts: new Map(), ends: new Map() };
    await run('warmup_', Math.min(s.concurrency, s.chains));
    recorder = { starts: new Map(), ends: new Map() };
    const claims = timeClaims(engine);
    const runs = await run('', s.chains);
    const steps = stepGaps(recorder.starts, recorder.ends, runs);
    const parts: SchedulerBenchResult['stepParts'] = [
      { name: 'report (log flush + completeAttempt)', ms: [] },
      { name: 'claim (wake + claim transaction)', ms: [] },
      { name: 'prepare (taskStates query)', ms: [] },
    ];
    for (const runId of runs) {
      for (let k = 0; k + 1 < CHAIN_STEPS.length; k++) {
        const prev = `${runId}/${CHAIN_STEPS[k]}`;
        const next = `${runId}/${CHAIN_STEPS[k + 1]}`;
        parts[0]!.ms.push(reported.get(prev)! - recorder.ends.get(prev)!);
        parts[1]!.ms.push(claimed.get(next)! - reported.get(prev)!);
        parts[2]!.ms.push(recorder.starts.get(next)! - claimed.get(next)!);
      }
    }
    return { steps, parts, notes: [`chains: ${claimNote(claims)}`] };
  } finally {
    await engine.stop();
    await db.query('DELETE FROM runs');
  }
}
