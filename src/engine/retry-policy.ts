import type { RetryPolicy } from './model.js';

/**
 * Defaults for a task that names none: three tries, 10 s then 20 s apart.
 * Transient faults (a source API's 503, a dropped connection) usually pass
 * within a minute; longer outages are the schedule's next run's business.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 10_000,
  backoffCoefficient: 2,
  maxDelayMs: 10 * 60_000,
  jitter: 0.2,
};

export function retryPolicy(overrides: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...overrides };
}

/**
 * The wait before try `nextAttempt` (2 for the first retry): exponential,
 * capped, with jitter taken off the top so the cap is never exceeded.
 * `random` is injectable for tests.
 */
export function backoffDelayMs(policy: RetryPolicy, nextAttempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, nextAttempt - 2);
  const delay = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoffCoefficient ** exponent);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(delay * (1 - jitter * random()));
}
