/**
 * Shared by the scheduler benchmark's two sides (Sluice's engine and
 * graphile-worker): the settings both run with, what each side reports,
 * and the timing helpers.
 */

/** The same for both sides, so that only the orchestrator differs. */
export interface SchedulerBenchSettings {
  /** Runs (Sluice) or first jobs (graphile-worker) due at one instant. */
  schedules: number;
  /** 4-step chains for the step-to-step latency. */
  chains: number;
  /** Tasks (jobs) running at once. */
  concurrency: number;
  /** Connections each side's database pool holds. */
  poolMax: number;
  /** How often a time coming due is noticed: Sluice's scheduler tick, graphile-worker's poll interval. */
  tickMs: number;
  /** How often Sluice's idle workers look for work (its default). */
  workerPollMs: number;
  /** Organisations the schedules are spread over (Sluice counts running tasks per organisation). */
  orgs: number;
}

/** What one side measured. Times in milliseconds. */
export interface SchedulerBenchResult {
  /** Per run: from the instant it was due to the start of its first task. */
  fireLagMs: number[];
  /** Per step of every chain: from the end of task k's work to the start of task k+1. */
  stepMs: number[];
  /** Where Sluice's step time goes (empty for graphile-worker). */
  stepParts: { name: string; ms: number[] }[];
  /** A line of context printed under the table (e.g. when the runs were created). */
  notes: string[];
}

/** High-resolution wall-clock milliseconds: comparable with Date.now(), finer than it. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * A count that resolves `reached` once it gets to `target`. Resolved from
 * where the counting happens, not by polling on a timer: on PGlite, a busy
 * engine's queries resolve as microtasks and starve timers until it idles.
 */
export class Countdown {
  readonly reached: Promise<void>;
  #resolve!: () => void;
  #count = 0;

  constructor(private readonly target: number) {
    this.reached = new Promise<void>((resolve) => (this.#resolve = resolve));
    if (target <= 0) this.#resolve();
  }

  add(): void {
    if (++this.#count >= this.target) this.#resolve();
  }
}

/** Settles with `promise`, or rejects after `timeoutMs` saying what it waited for. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `total` chains, `inFlight` at a time (a new one as one ends), and
 * resolves when all have ended. Keeping no more chains going than there are
 * worker slots means a ready task never waits for a slot: the step latency
 * is then the orchestrator's own, not a queue's.
 */
export class ChainFeeder {
  #next = 0;
  #ended = 0;
  #failed: unknown;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(
    private readonly total: number,
    private readonly inFlight: number,
    private readonly start: (index: number) => Promise<void>,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  begin(): void {
    if (this.total === 0) this.#resolve();
    for (let i = 0; i < Math.min(this.inFlight, this.total); i++) this.#startNext();
  }

  /** A chain ended: start another if any are left. */
  ended(): void {
    this.#ended += 1;
    if (this.#ended >= this.total) this.#resolve();
    else this.#startNext();
  }

  fail(error: unknown): void {
    this.#failed ??= error;
    this.#reject(this.#failed);
  }

  #startNext(): void {
    if (this.#next >= this.total) return;
    const index = this.#next++;
    this.start(index).catch((error: unknown) => this.fail(error));
  }
}

/** The four steps of the chain both sides run. */
export const CHAIN_STEPS = ['a', 'b', 'c', 'd'] as const;

/** Step-to-step gaps of chains from the recorded start and end times of their steps. */
export function stepGaps(starts: ReadonlyMap<string, number>, ends: ReadonlyMap<string, number>, chains: Iterable<string>): number[] {
  const gaps: number[] = [];
  for (const chain of chains) {
    for (let k = 0; k + 1 < CHAIN_STEPS.length; k++) {
      const end = ends.get(`${chain}/${CHAIN_STEPS[k]}`);
      const start = starts.get(`${chain}/${CHAIN_STEPS[k + 1]}`);
      if (end === undefined || start === undefined) throw new Error(`chain ${chain} has no times for step ${CHAIN_STEPS[k]} → ${CHAIN_STEPS[k + 1]}`);
      gaps.push(start - end);
    }
  }
  return gaps;
}
