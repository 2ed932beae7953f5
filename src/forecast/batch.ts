/**
 * Many items through a pool of worker threads (piscina), streamed: at most
 * `inFlight` items are queued or running at a time and results come back in
 * input order, so memory does not grow with the number of items.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import type { ItemInput, ItemResult, ItemSettings } from './item.js';

/**
 * Worker threads that forecast items, to be shared by several
 * `forecastItems` calls of one process (shards of a forecast run running
 * side by side), so they split the machine's cores instead of each starting
 * a thread per core.
 */
export interface ForecastPool {
  readonly threads: number;
  run(input: ItemInput, settings: ItemSettings): Promise<ItemResult>;
  destroy(): Promise<void>;
}

export interface BatchOptions extends ItemSettings {
  /** Worker threads; default: the machine's available parallelism. Ignored with `pool`. */
  threads?: number;
  /** Items queued or running at once; default 4 per thread. */
  inFlight?: number;
  /** A pool to run on (left running afterwards); without it, a pool of `threads` is made and destroyed. */
  pool?: ForecastPool;
}

/**
 * The worker module next to this one: worker.ts when running from source
 * (tsx, vitest), worker.js when built. From source the threads load tsx by
 * its resolved address: a bare `tsx` would be looked up from the process's
 * working directory, which need not be this checkout (`sluice` run elsewhere).
 */
function workerFile(): { filename: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href;
  return { filename, execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [] };
}

/** A pool of `threads` worker threads (default: the available parallelism); idle threads exit after `idleTimeoutMs`. */
export function createForecastPool(options: { threads?: number; idleTimeoutMs?: number } = {}): ForecastPool {
  const threads = Math.max(1, options.threads ?? os.availableParallelism());
  const { filename, execArgv } = workerFile();
  const idle = options.idleTimeoutMs;
  const pool = new Piscina({ filename, execArgv, minThreads: idle === undefined ? threads : 0, maxThreads: threads, ...(idle === undefined ? {} : { idleTimeout: idle }) });
  // A thread that fails outside a task (it cannot start) fails the tasks it held; unheard, the pool's
  // 'error' event would end the whole process.
  pool.on('error', () => undefined);
  return {
    threads,
    run: (input, settings) => pool.run({ input, settings }) as Promise<ItemResult>,
    destroy: () => pool.destroy(),
  };
}

export async function* forecastItems(items: Iterable<ItemInput> | AsyncIterable<ItemInput>, options: BatchOptions = {}): AsyncGenerator<ItemResult> {
  const { threads, inFlight: asked, pool: given, ...settings } = options;
  const pool = given ?? createForecastPool(threads === undefined ? {} : { threads });
  const inFlight = Math.max(1, asked ?? pool.threads * 4);
  const pending: Promise<ItemResult>[] = [];
  try {
    for await (const input of items) {
      pending.push(pool.run(input, settings));
      // Mark rejections as handled now; they are rethrown in order when awaited below.
      pending[pending.length - 1]!.catch(() => {});
      while (pending.length >= inFlight) yield await pending.shift()!;
    }
    while (pending.length) yield await pending.shift()!;
  } finally {
    if (!given) await pool.destroy();
  }
}
