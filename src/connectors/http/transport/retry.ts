/**
 * Retrying, after Temporal's RetryPolicy: exponential backoff with a cap, a
 * bounded number of attempts, and failures that say themselves whether they
 * may be retried (`AppError.retryable`). On top of the generic
 * `withRetries`, `sendWithRetries` knows HTTP: 408, 429 and 5xx answers are
 * retried honouring `Retry-After`.
 */
import { AppError, TransientError } from '../../../errors/index.js';
import { sleep as abortableSleep, throwIfAborted } from './abort.js';
import type { HttpResponse } from './http-client.js';
import { maskUrl } from './mask-url.js';

export interface RetryPolicy {
  /** Attempts in all, the first included; 1 means no retry. */
  maxAttempts: number;
  /** Wait before the second attempt. */
  initialDelayMs: number;
  /** No computed wait is longer (a server's Retry-After may be; see MAX_RETRY_AFTER_MS). */
  maxDelayMs: number;
  /** Growth of the wait per attempt. Default 2. */
  backoffCoefficient?: number;
  /**
   * How much of each wait is random, from 0 (none) to 1 ("full jitter": anywhere
   * from 0 to the computed wait). Default 0.2: waits fall between 80% and 100%
   * of the computed value. Some spread keeps many runs that failed together
   * from retrying in lockstep; keeping most of the wait means a retry never
   * comes back almost at once to a server that just said it was overloaded.
   */
  jitter?: number;
}

/** The defaults of `apiConfig.retry` (config.schema.ts) with Temporal's coefficient. */
export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = {
  maxAttempts: 5,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  backoffCoefficient: 2,
  jitter: 0.2,
};

/**
 * The longest `Retry-After` Sluice waits for. A server may ask for more than
 * `maxDelayMs` and is obeyed up to this; past it, waiting out a run is worse
 * than failing it with a message that says what the server asked.
 */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * The wait after failed attempt number `attempt` (1-based) before the next:
 * `initialDelayMs * backoffCoefficient^(attempt - 1)`, capped at `maxDelayMs`,
 * then reduced by up to `jitter` of itself using `random()` (in [0, 1)).
 */
export function computeBackoff(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const coefficient = policy.backoffCoefficient ?? DEFAULT_RETRY_POLICY.backoffCoefficient;
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? DEFAULT_RETRY_POLICY.jitter));
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * coefficient ** exponent);
  return Math.round(base * (1 - jitter * random()));
}

/**
 * A `Retry-After` header as milliseconds from `now`: delay-seconds (`120`)
 * or an HTTP-date. A date in the past gives 0; anything unreadable gives
 * undefined. Not capped here: the caller compares with MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  // RFC 9110 allows whole seconds only; fractions and negatives are read leniently rather than ignored.
  if (/^-?\d+(\.\d+)?$/.test(text)) return Math.max(0, Math.round(Number(text) * 1000));
  // Date.parse also reads forms like `12:00` or `2025-03-01`; an HTTP-date always names its day or month.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Whether an HTTP status is worth another attempt: 408, 429, 500, 502, 503, 504. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** What one attempt ended with. */
export type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Whether to try again; `delayMs` replaces the computed backoff (a server's Retry-After). */
export type RetryDecision = { retry: false } | { retry: true; reason: string; delayMs?: number };

export interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface WithRetriesOptions<T> {
  policy: RetryPolicy;
  /** Decides after each attempt; by default errors that are `retryable` AppErrors are retried, values never. */
  retryOn?: (outcome: AttemptOutcome<T>) => RetryDecision;
  /** Stops waiting and attempting; the wait rejects with a CancelledError. */
  signal?: AbortSignal;
  /** Told before each wait, for logs. */
  onRetry?: (info: RetryInfo) => void;
  /** Injected by tests; must reject when `signal` fires. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** Retries TransientErrors (any AppError whose intent is transient); UserErrors, bugs and cancellations go straight up. */
export function retryTransientErrors(outcome: AttemptOutcome<unknown>): RetryDecision {
  if (outcome.ok) return { retry: false };
  const error = outcome.error;
  if (error instanceof AppError && error.retryable) return { retry: true, reason: `${error.code}: ${error.message}` };
  return { retry: false };
}

/**
 * Runs `attempt(n)` (n from 1) until `retryOn` declines or `policy.maxAttempts`
 * is reached, waiting between attempts (the decision's `delayMs`, else
 * `computeBackoff`). When attempts run out it ends as the last attempt did:
 * returning its value or throwing its error. A value that wanted a retry is
 * thus returned, not turned into an error here: the caller knows what an
 * exhausted 503 means (see `sendWithRetries`).
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: WithRetriesOptions<T>): Promise<T> {
  const retryOn = options.retryOn ?? retryTransientErrors;
  const wait = options.sleep ?? abortableSleep;
  const maxAttempts = Math.max(1, Math.floor(options.policy.maxAttempts));
  for (let n = 1; ; n++) {
    throwIfAborted(options.signal, 'The request');
    let outcome: AttemptOutcome<T>;
    try {
      outcome = { ok: true, value: await attempt(n) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const decision = n < maxAttempts ? retryOn(outcome) : { retry: false as const };
    if (!decision.retry) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    const delayMs = decision.delayMs ?? computeBackoff(n, options.policy, options.random);
    options.onRetry?.({ attempt: n, delayMs, reason: decision.reason });
    await wait(delayMs, options.signal);
  }
}

/**
 * The HTTP decision: a retryable status is retried after its Retry-After
 * (when present and at most MAX_RETRY_AFTER_MS; a longer one is not waited
 * for at all) or the backoff; errors as `retryTransientErrors`.
 */
export function retryHttp(outcome: AttemptOutcome<HttpResponse>, now: number = Date.now()): RetryDecision {
  if (!outcome.ok) return retryTransientErrors(outcome);
  const { status, headers } = outcome.value;
  if (!isRetryableStatus(status)) return { retry: false };
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) return { retry: false };
  return { retry: true, reason: `HTTP ${status}`, ...(retryAfter !== undefined && { delayMs: retryAfter }) };
}

export interface SendWithRetriesOptions extends Omit<WithRetriesOptions<HttpResponse>, 'retryOn'> {
  /** Query parameter names to mask in messages (see maskUrl). */
  secretParams?: readonly string[];
}

/**
 * Calls `send(n)` (typically `limiter.schedule(() => client.send(request))`,
 * so each attempt waits its turn) and retries per `retryHttp`. When attempts
 * run out, or a 429 asks for a wait beyond MAX_RETRY_AFTER_MS, a 429 becomes
 * a `source_rate_limited` TransientError; any other status, 5xx included, is
 * returned so that the caller turns statuses into errors in one place, with
 * the body at hand. Errors (UserError, cancellation, the last TransientError)
 * are thrown as they are.
 */
export async function sendWithRetries(
  send: (attempt: number) => Promise<HttpResponse>,
  options: SendWithRetriesOptions,
): Promise<HttpResponse> {
  let attempts = 0;
  const response = await withRetries(
    (n) => {
      attempts = n;
      return send(n);
    },
    { ...options, retryOn: (outcome) => retryHttp(outcome) },
  );
  if (response.status !== 429) return response;
  const shown = maskUrl(response.url, options.secretParams);
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  const why =
    retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS
      ? `asked to wait ${Math.ceil(retryAfterMs / 1000)} s, longer than the ${MAX_RETRY_AFTER_MS / 1000} s Sluice waits`
      : `still answered 429 Too Many Requests after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  throw new TransientError('source_rate_limited', `${shown} ${why}`, {
    details: { url: shown, status: 429, attempts, ...(retryAfterMs !== undefined && { retryAfterMs }) },
  });
}
