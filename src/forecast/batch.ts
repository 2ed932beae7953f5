/**
 * Many items through a pool of worker threads (piscina), streamed: at most
 * `inFlight` items are queued or running at a time and results come back in
 * input order, so memory does not grow with the number of items.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import type { ItemInput, ItemResult, ItemSettings } from './item.js';

export interface BatchOptions extends ItemSettings {
  /** Worker threads; default: the machine's available parallelism. */
  threads?: number;
  /** Items queued or running at once; default 4 per thread. */
  inFlight?: number;
}

/** The worker module next to this one: worker.ts when running from source (tsx, vitest), worker.js when built. */
function workerFile(): { filename: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href;
  return { filename, execArgv: fromSource ? ['--import', 'tsx'] : [] };
}

export async function* forecastItems(items: Iterable<ItemInput> | AsyncIterable<ItemInput>, options: BatchOptions = {}): AsyncGenerator<ItemResult> {
  const threads = Math.max(1, options.threads ?? os.availableParallelism());
  const inFlight = Math.max(1, options.inFlight ?? threads * 4);
  const { threads: _t, inFlight: _i, ...settings } = options;
  const { filename, execArgv } = workerFile();
  const pool = new Piscina({ filename, execArgv, minThreads: threads, maxThreads: threads });
  const pending: Promise<ItemResult>[] = [];
  try {
    for await (const input of items) {
      pending.push(pool.run({ input, settings }) as Promise<ItemResult>);
      // Mark rejections as handled now; they are rethrown in order when awaited below.
      pending[pending.length - 1]!.catch(() => {});
      while (pending.length >= inFlight) yield await pending.shift()!;
    }
    while (pending.length) yield await pending.shift()!;
  } finally {
    await pool.destroy();
  }
}
