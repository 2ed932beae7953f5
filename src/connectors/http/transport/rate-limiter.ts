/**
 * The `apiConfig.rateLimit` of a connection: at most `concurrency` requests
 * in flight and at most `requestsPerSecond` starts per second. Starts are
 * spaced evenly (one every 1000 / rps ms) rather than allowed in bursts:
 * many APIs count requests over short windows, and a burst at the top of
 * each second is what trips them.
 */
import { performance } from 'node:perf_hooks';
import { CancelledError } from './abort.js';

export interface RateLimiterOptions {
  /** Starts per second; no limit when absent. */
  requestsPerSecond?: number | undefined;
  /** Calls in flight at once (at least 1). */
  concurrency: number;
  /** A monotonic clock in ms; tests inject one. */
  now?: () => number;
}

export interface RateLimiter {
  /** Runs `fn` when both limits allow, first come first served; `signal` withdraws it while it waits. */
  schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Calls waiting for their turn. */
  readonly pending: number;
  /** Calls running. */
  readonly active: number;
}

interface Job {
  run: () => void;
  /** Stops listening to the job's signal once it starts or is withdrawn. */
  detach: () => void;
}

/** Creates a limiter; one per connection being read, shared by every request of it. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const rps = options.requestsPerSecond;
  const interval = rps !== undefined && rps > 0 ? 1000 / rps : 0;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const now = options.now ?? (() => performance.now());
  const queue: Job[] = [];
  let active = 0;
  let nextStartAt = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function pump(): void {
    while (active < concurrency && queue.length > 0) {
      const at = now();
      if (at < nextStartAt) {
        timer ??= setTimeout(() => {
          timer = undefined;
          pump();
        }, nextStartAt - at);
        return;
      }
      // Spaced from the actual start, not the planned one: a late timer never lets two starts bunch up.
      nextStartAt = at + interval;
      const job = queue.shift()!;
      job.detach();
      active++;
      job.run();
    }
  }

  function schedule<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const withdrawn = (): CancelledError =>
        new CancelledError('The request was cancelled while waiting for its turn under the rate limit', {
          cause: signal?.reason,
        });
      if (signal?.aborted) {
        reject(withdrawn());
        return;
      }
      const onAbort = (): void => {
        const index = queue.indexOf(job);
        if (index !== -1) queue.splice(index, 1);
        reject(withdrawn());
      };
      const job: Job = {
        run: () => {
          // Through a promise, so that a synchronous throw in fn still frees the slot.
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              active--;
              pump();
            });
        },
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(job);
      pump();
    });
  }

  return {
    schedule,
    get pending() {
      return queue.length;
    },
    get active() {
      return active;
    },
  };
}
