import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelledError } from './abort.js';
import { createRateLimiter } from './rate-limiter.js';

/** A promise to settle from outside, standing for a request in flight. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

// The limiter reads the (fake) clock through `now`, so no test depends on wall time.
const now = (): number => Date.now();

describe('createRateLimiter', () => {
  it('keeps at most `concurrency` calls in flight, starting the next as one ends', async () => {
    const limiter = createRateLimiter({ concurrency: 2, now });
    const calls = [deferred<number>(), deferred<number>(), deferred<number>(), deferred<number>()];
    const started: number[] = [];
    const results = calls.map((call, i) =>
      limiter.schedule(() => {
        started.push(i);
        return call.promise;
      }),
    );
    // Observed below, after the others; marked handled now so Node does not report it early.
    results[0]!.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([0, 1]);
    expect(limiter.active).toBe(2);
    expect(limiter.pending).toBe(2);

    calls[1]!.resolve(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([0, 1, 2]);

    calls[0]!.reject(new Error('failed'));
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([0, 1, 2, 3]);

    calls[2]!.resolve(2);
    calls[3]!.resolve(3);
    await expect(results[0]).rejects.toThrow('failed');
    expect(await Promise.all(results.slice(1))).toEqual([1, 2, 3]);
    expect(limiter.active).toBe(0);
  });

  it('spaces starts evenly at requestsPerSecond instead of bursting', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: 10, concurrency: 10, now });
    const startedAt: number[] = [];
    const all = Promise.all(
      Array.from({ length: 5 }, () =>
        limiter.schedule(async () => {
          startedAt.push(Date.now());
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await all;
    expect(startedAt).toEqual([0, 100, 200, 300, 400]);
  });

  it('holds a call that comes soon after the last start, and not one that comes later', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: 2, concurrency: 1, now });
    const startedAt: number[] = [];
    const run = () => limiter.schedule(async () => void startedAt.push(Date.now()));
    await run();
    await vi.advanceTimersByTimeAsync(100);
    const second = run();
    await vi.advanceTimersByTimeAsync(500);
    await second;
    await vi.advanceTimersByTimeAsync(2000);
    await run();
    expect(startedAt).toEqual([0, 500, 2600]);
  });

  it('applies both limits together', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: 4, concurrency: 1, now });
    const startedAt: number[] = [];
    const all = Promise.all(
      [0, 1, 2].map(() =>
        limiter.schedule(async () => {
          startedAt.push(Date.now());
          // Each call lasts 400 ms, longer than the 250 ms spacing.
          await new Promise((resolve) => setTimeout(resolve, 400));
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(2000);
    await all;
    expect(startedAt).toEqual([0, 400, 800]);
  });

  it('starts calls in the order they were scheduled', async () => {
    const limiter = createRateLimiter({ requestsPerSecond: 100, concurrency: 1, now });
    const order: string[] = [];
    const all = Promise.all(['a', 'b', 'c', 'd'].map((name) => limiter.schedule(async () => void order.push(name))));
    await vi.advanceTimersByTimeAsync(100);
    await all;
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('withdraws a waiting call when its signal aborts, without running it', async () => {
    const limiter = createRateLimiter({ concurrency: 1, now });
    const first = deferred();
    const ran: string[] = [];
    const controller = new AbortController();
    const a = limiter.schedule(() => {
      ran.push('a');
      return first.promise;
    });
    const b = limiter.schedule(async () => void ran.push('b'), controller.signal);
    const c = limiter.schedule(async () => void ran.push('c'));
    await vi.advanceTimersByTimeAsync(0);
    controller.abort();
    await expect(b).rejects.toBeInstanceOf(CancelledError);
    expect(limiter.pending).toBe(1);
    first.resolve();
    await Promise.all([a, c]);
    expect(ran).toEqual(['a', 'c']);
  });

  it('refuses a call whose signal has already aborted', async () => {
    const limiter = createRateLimiter({ concurrency: 1, now });
    const fn = vi.fn(async () => 1);
    await expect(limiter.schedule(fn, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(fn).not.toHaveBeenCalled();
  });

  it('frees the slot when the function throws synchronously', async () => {
    const limiter = createRateLimiter({ concurrency: 1, now });
    const failing = limiter.schedule((): Promise<never> => {
      throw new Error('sync');
    });
    await expect(failing).rejects.toThrow('sync');
    await expect(limiter.schedule(async () => 'next')).resolves.toBe('next');
  });

  it('counts at least one slot whatever concurrency says', async () => {
    const limiter = createRateLimiter({ concurrency: 0, now });
    await expect(limiter.schedule(async () => 'ran')).resolves.toBe('ran');
  });
});
