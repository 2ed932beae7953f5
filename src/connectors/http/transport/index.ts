/**
 * How Sluice reaches source APIs: a guarded HTTP client (SSRF), retries with
 * backoff and Retry-After, and a rate limiter. See README.md.
 */
export { CancelledError, isAbortError, sleep } from './abort.js';
export {
  checkTarget,
  checkUrlHost,
  classifyAddress,
  createGuardedLookup,
  isHostAllowed,
  isTargetAllowed,
  systemResolver,
  type AddressClass,
  type AddressPolicy,
  type LookupFunction,
  type ResolvedAddress,
  type Resolver,
} from './address-guard.js';
export {
  createHttpClient,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_USER_AGENT,
  MAX_REDIRECTS,
  type HttpClient,
  type HttpClientOptions,
  type HttpMethod,
  type HttpRequest,
  type HttpResponse,
} from './http-client.js';
export { MASK, maskUrl } from './mask-url.js';
export { createRateLimiter, type RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
export {
  computeBackoff,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  retryHttp,
  retryTransientErrors,
  sendWithRetries,
  withRetries,
  type AttemptOutcome,
  type RetryDecision,
  type RetryInfo,
  type RetryPolicy,
  type SendWithRetriesOptions,
  type WithRetriesOptions,
} from './retry.js';
