import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransientError, UserError } from '../../../errors/index.js';
import { CancelledError, sleep } from './abort.js';
import type { HttpResponse } from './http-client.js';
import {
  computeBackoff,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  retryHttp,
  sendWithRetries,
  withRetries,
  type RetryInfo,
  type RetryPolicy,
} from './retry.js';

const policy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 };
const noJitter = (): number => 0;

function response(status: number, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, url: 'https://api.example.com/items?api_key=s3cr3t', body: `status ${status}`, ms: 1, redirects: [] };
}

/** An attempt function answering the given outcomes in turn (an Error is thrown). */
function sequence<T>(...outcomes: (T | Error)[]) {
  return vi.fn(async (n: number) => {
    const outcome = outcomes[Math.min(n, outcomes.length) - 1]!;
    if (outcome instanceof Error) throw outcome;
    return outcome;
  });
}

/** A sleep that records its waits and returns at once. */
function recordingSleep() {
  const waits: number[] = [];
  const fn = vi.fn(async (ms: number) => {
    waits.push(ms);
  });
  return Object.assign(fn, { waits });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('computeBackoff', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => computeBackoff(attempt, policy, noJitter));
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('takes up to `jitter` off each wait, 20% by default', () => {
    expect(computeBackoff(3, policy, () => 0.5)).toBe(1800);
    expect(computeBackoff(3, policy, () => 0.999_999)).toBe(1600);
    expect(computeBackoff(7, policy, () => 0.999_999)).toBe(24_000);
  });

  it('spreads waits from 0 to the computed value with full jitter, and not at all with none', () => {
    expect(computeBackoff(3, { ...policy, jitter: 1 }, () => 0.75)).toBe(500);
    expect(computeBackoff(3, { ...policy, jitter: 0 }, () => 0.75)).toBe(2000);
  });

  it('follows another coefficient', () => {
    const triple = { ...policy, backoffCoefficient: 3 };
    expect([1, 2, 3, 4].map((a) => computeBackoff(a, triple, noJitter))).toEqual([500, 1500, 4500, 13_500]);
  });

  it('never waits more than maxDelayMs whatever the random source says', () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      expect(computeBackoff(attempt, DEFAULT_RETRY_POLICY)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('-5', now)).toBe(0);
  });

  it('reads HTTP-dates relative to now, a past one as 0', () => {
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Saturday, 01-Mar-25 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', 'soon', '12:00', '2025-03-01', '1e3', 'Mon, 99 Foo 2025']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});

describe('isRetryableStatus', () => {
  it.each([
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [200, false],
    [301, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [501, false],
  ])('%i → %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });
});

describe('retryHttp', () => {
  it('waits what Retry-After says, up to the hard cap, and gives up beyond it', () => {
    expect(retryHttp({ ok: true, value: response(429, { 'retry-after': '7' }) })).toEqual({
      retry: true,
      reason: 'HTTP 429',
      delayMs: 7000,
    });
    expect(retryHttp({ ok: true, value: response(503) })).toEqual({ retry: true, reason: 'HTTP 503' });
    const tooLong = String(MAX_RETRY_AFTER_MS / 1000 + 1);
    expect(retryHttp({ ok: true, value: response(429, { 'retry-after': tooLong }) })).toEqual({ retry: false });
    expect(retryHttp({ ok: true, value: response(404) })).toEqual({ retry: false });
  });
});

describe('withRetries', () => {
  it('retries TransientErrors with growing waits and reports each retry', async () => {
    const attempt = sequence<string>(
      new TransientError('source_unreachable', 'reset'),
      new TransientError('source_timeout', 'slow'),
      'done',
    );
    const wait = recordingSleep();
    const retries: RetryInfo[] = [];
    const result = await withRetries(attempt, { policy, sleep: wait, random: noJitter, onRetry: (i) => retries.push(i) });
    expect(result).toBe('done');
    expect(attempt).toHaveBeenCalledTimes(3);
    expect(wait.waits).toEqual([500, 1000]);
    expect(retries).toEqual([
      { attempt: 1, delayMs: 500, reason: 'source_unreachable: reset' },
      { attempt: 2, delayMs: 1000, reason: 'source_timeout: slow' },
    ]);
  });

  it('never retries a UserError, a bug or a cancellation', async () => {
    for (const error of [new UserError('source_blocked', 'no'), new Error('bug'), new CancelledError('stop')]) {
      const attempt = sequence<string>(error, 'never');
      await expect(withRetries(attempt, { policy, sleep: recordingSleep() })).rejects.toBe(error);
      expect(attempt).toHaveBeenCalledTimes(1);
    }
  });

  it('throws the last error when attempts run out', async () => {
    const last = new TransientError('source_unreachable', 'third');
    const attempt = sequence<string>(
      new TransientError('source_unreachable', 'first'),
      new TransientError('source_unreachable', 'second'),
      last,
    );
    await expect(withRetries(attempt, { policy: { ...policy, maxAttempts: 3 }, sleep: recordingSleep() })).rejects.toBe(last);
    expect(attempt).toHaveBeenCalledTimes(3);
  });

  it('does not retry at all with maxAttempts 1', async () => {
    const attempt = sequence<string>(new TransientError('source_timeout', 'slow'));
    await expect(withRetries(attempt, { policy: { ...policy, maxAttempts: 1 }, sleep: recordingSleep() })).rejects.toThrow('slow');
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('stops waiting when the signal aborts during the sleep', async () => {
    const controller = new AbortController();
    const attempt = vi.fn(async () => {
      // Abort once the wait has begun.
      setTimeout(() => controller.abort(), 0);
      throw new TransientError('source_unreachable', 'down');
    });
    const error = await withRetries(attempt, {
      policy: { ...policy, initialDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).name).toBe('AbortError');
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it('does not start with an aborted signal', async () => {
    const attempt = vi.fn(async () => 'x');
    await expect(withRetries(attempt, { policy, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(attempt).not.toHaveBeenCalled();
  });
});

describe('sendWithRetries', () => {
  it('retries 503, 503 then answers the 200', async () => {
    const send = sequence(response(503), response(503), response(200));
    const wait = recordingSleep();
    const reasons: string[] = [];
    const result = await sendWithRetries(send, {
      policy,
      sleep: wait,
      random: noJitter,
      onRetry: (i) => reasons.push(i.reason),
    });
    expect(result.status).toBe(200);
    expect(wait.waits).toEqual([500, 1000]);
    expect(reasons).toEqual(['HTTP 503', 'HTTP 503']);
  });

  it('honours Retry-After on a 429, in seconds or as a date', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    const send = sequence(response(429, { 'retry-after': '3' }), response(429, { 'retry-after': inTwoMinutes }), response(200));
    const wait = recordingSleep();
    expect((await sendWithRetries(send, { policy, sleep: wait, random: noJitter })).status).toBe(200);
    expect(wait.waits[0]).toBe(3000);
    // HTTP-dates have whole seconds; the wait is read against the clock of the retry.
    expect(wait.waits[1]).toBeGreaterThan(115_000);
    expect(wait.waits[1]).toBeLessThanOrEqual(120_000);
  });

  it('throws source_rate_limited when 429s outlast the attempts, masking the URL', async () => {
    const send = sequence(response(429));
    const error = await failure(sendWithRetries(send, { policy: { ...policy, maxAttempts: 3 }, sleep: recordingSleep() }));
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'source_rate_limited' });
    expect(error.message).toBe(
      'https://api.example.com/items?api_key=******** still answered 429 Too Many Requests after 3 attempts',
    );
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('gives up at once when Retry-After asks for more than the hard cap', async () => {
    const send = sequence(response(429, { 'retry-after': '86400' }), response(200));
    const error = await failure(sendWithRetries(send, { policy, sleep: recordingSleep() }));
    expect(error).toMatchObject({ code: 'source_rate_limited' });
    expect(error.message).toContain('asked to wait 86400 s, longer than the 600 s Sluice waits');
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('returns the last 5xx when attempts run out, for the caller to report with its body', async () => {
    const send = sequence(response(502), response(503));
    const result = await sendWithRetries(send, { policy: { ...policy, maxAttempts: 2 }, sleep: recordingSleep() });
    expect(result.status).toBe(503);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('returns other statuses at once and passes UserErrors through', async () => {
    const notFound = sequence(response(404));
    expect((await sendWithRetries(notFound, { policy, sleep: recordingSleep() })).status).toBe(404);
    expect(notFound).toHaveBeenCalledTimes(1);
    const blocked = new UserError('source_blocked', 'Refused');
    const send = sequence<HttpResponse>(blocked);
    await expect(sendWithRetries(send, { policy, sleep: recordingSleep() })).rejects.toBe(blocked);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('retries a TransientError from the client, then answers', async () => {
    const send = sequence<HttpResponse>(new TransientError('source_timeout', 'slow'), response(200));
    expect((await sendWithRetries(send, { policy, sleep: recordingSleep() })).status).toBe(200);
  });
});

describe('sleep', () => {
  it('waits the time given', async () => {
    vi.useFakeTimers();
    let done = false;
    const waiting = sleep(1000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
  });

  it('rejects at once when the signal fires, and when it already has', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    await expect(sleep(10, AbortSignal.abort())).rejects.toBeInstanceOf(CancelledError);
    expect(vi.getTimerCount()).toBe(0);
  });
});
