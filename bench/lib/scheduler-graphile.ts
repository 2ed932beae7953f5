/**
 * The reference side of bench/scheduler: the same chain on graphile-worker,
 * written the way its users write one: each job does its work, then adds
 * the job of the next step. It installs its schema (graphile_worker) in the
 * database it is given.
 */
import pg from 'pg';
import { Logger, makeWorkerUtils, run, type JobHelpers, type Runner, type TaskList, type WorkerUtils } from 'graphile-worker';
import { CHAIN_STEPS, ChainFeeder, Countdown, nowMs, sleep, stepGaps, within, type SchedulerBenchResult, type SchedulerBenchSettings } from './scheduler-common.js';

interface StepPayload {
  chain: string;
  k: number;
}

/** Start and end times of job work, by `<chain>/<step>`, and what to do at a chain's first and last step. */
interface Recorder {
  starts: Map<string, number>;
  ends: Map<string, number>;
  onFirstStart?: (chain: string, at: number) => void;
  onChainEnd?: (chain: string, helpers: JobHelpers) => void;
}

const quiet = new Logger(() => () => undefined);

function tasks(recorder: Recorder): TaskList {
  return {
    step: async (payload, helpers) => {
      const { chain, k } = payload as StepPayload;
      const key = `${chain}/${CHAIN_STEPS[k]}`;
      const at = nowMs();
      recorder.starts.set(key, at);
      if (k === 0) recorder.onFirstStart?.(chain, at);
      // The work ends here; what follows is the orchestration Sluice's engine does for its tasks.
      recorder.ends.set(key, nowMs());
      if (k + 1 < CHAIN_STEPS.length) await helpers.addJob('step', { chain, k: k + 1 } satisfies StepPayload);
      else recorder.onChainEnd?.(chain, helpers);
    },
  };
}

const start = (pool: pg.Pool, s: SchedulerBenchSettings, recorder: Recorder): Promise<Runner> =>
  run({ pgPool: pool, concurrency: s.concurrency, pollInterval: s.tickMs, noHandleSignals: true, logger: quiet, taskList: tasks(recorder) });

/** Runs both measures against `url`; leaves the graphile_worker schema behind (the caller drops the database). */
export async function benchGraphile(url: string, s: SchedulerBenchSettings): Promise<SchedulerBenchResult> {
  const pool = new pg.Pool({ connectionString: url, max: s.poolMax });
  // graphile-worker asks for both handlers: a dropped idle connection must not crash the process.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const utils = await makeWorkerUtils({ pgPool: pool, logger: quiet });
  try {
    await utils.migrate();
    const fire = await fireLag(pool, utils, s);
    const steps = await chainLatency(pool, utils, s);
    return { fireLagMs: fire.lags, stepMs: steps, stepParts: [], notes: fire.notes };
  } finally {
    await utils.release();
    await pool.end();
  }
}

/** `s.schedules` chains whose first job has one `runAt`, T0, a moment after the workers started. */
async function fireLag(pool: pg.Pool, utils: WorkerUtils, s: SchedulerBenchSettings): Promise<{ lags: number[]; notes: string[] }> {
  const firstStartAt = new Map<string, number>();
  const allStarted = new Countdown(s.schedules);
  const runner = await start(pool, s, {
    starts: new Map(),
    ends: new Map(),
    onFirstStart: (chain, at) => {
      firstStartAt.set(chain, at);
      allStarted.add();
    },
  });
  const notes: string[] = [];
  try {
    await sleep(200);
    const t0 = nowMs() + 1000 + Math.random() * s.tickMs;
    const runAt = new Date(t0);
    await utils.addJobs(Array.from({ length: s.schedules }, (_, i) => ({ identifier: 'step', payload: { chain: `fire${i}`, k: 0 } satisfies StepPayload, runAt })));
    if (nowMs() > t0) notes.push(`graphile-worker: adding the ${s.schedules} jobs took past their runAt; their lag is overstated`);
    await within(allStarted.reached, 60_000 + s.schedules * 100, `the first jobs of ${s.schedules} chains`);
    return { lags: [...firstStartAt.values()].map((at) => at - t0), notes };
  } finally {
    await runner.stop();
    await pool.query('DELETE FROM graphile_worker._private_jobs');
  }
}

/** `s.chains` chains, `s.concurrency` at a time, after as many for warming up. */
async function chainLatency(pool: pg.Pool, utils: WorkerUtils, s: SchedulerBenchSettings): Promise<number[]> {
  const recorder: Recorder = { starts: new Map(), ends: new Map() };
  const runner = await start(pool, s, recorder);
  try {
    const runChains = async (prefix: string, total: number): Promise<string[]> => {
      const ended: string[] = [];
      const feeder = new ChainFeeder(total, s.concurrency, async (i) => {
        await utils.addJob('step', { chain: `${prefix}${i}`, k: 0 } satisfies StepPayload);
      });
      recorder.onChainEnd = (chain) => {
        ended.push(chain);
        feeder.ended();
      };
      feeder.begin();
      await within(feeder.done, 60_000 + total * 500, `${total} chains to end`);
      return ended;
    };
    await runChains('warmup', Math.min(s.concurrency, s.chains));
    recorder.starts.clear();
    recorder.ends.clear();
    const chains = await runChains('chain', s.chains);
    return stepGaps(recorder.starts, recorder.ends, chains);
  } finally {
    await runner.stop();
    await pool.query('DELETE FROM graphile_worker._private_jobs');
  }
}
