import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, retryPolicy } from './retry-policy.js';

describe('backoffDelayMs', () => {
  const policy = retryPolicy({ initialDelayMs: 1000, backoffCoefficient: 2, maxDelayMs: 5000, jitter: 0 });

  it('doubles from the initial delay and stops at the cap', () => {
    expect([2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('takes jitter off the top, so a wait never exceeds the exponential value', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelayMs(jittered, 3, () => 0)).toBe(2000);
    expect(backoffDelayMs(jittered, 3, () => 1)).toBe(1000);
    expect(backoffDelayMs(jittered, 3, () => 0.5)).toBe(1500);
  });

  it('has defaults a task without a policy gets', () => {
    expect(retryPolicy(undefined)).toEqual(DEFAULT_RETRY_POLICY);
    expect(retryPolicy({ maxAttempts: 1 }).maxAttempts).toBe(1);
  });
});
