/**
 * Sends one webhook delivery: a signed JSON POST through the SSRF-guarded
 * HTTP client (the URL is user input), retried on network errors, timeouts,
 * 408, 429 and 5xx. Never throws for the receiver's failures: the outcome
 * says what happened, so a broken receiver cannot fail a run.
 */
import { isAppError } from '../errors/index.js';
import {
  isAbortError,
  maskUrl,
  parseRetryAfter,
  retryTransientErrors,
  withRetries,
  type AttemptOutcome,
  type HttpClient,
  type HttpResponse,
  type RetryDecision,
  type RetryPolicy,
} from '../connectors/http/transport/index.js';
import { VERSION } from '../version.js';
import type { WebhookPayload } from './message.js';
import { signPayload } from './signature.js';

/**
 * Three attempts, 1 s then 2 s apart (±20%): enough to ride out a receiver's
 * restart, short enough that the end of a run is not held up for long.
 */
export const WEBHOOK_RETRY_POLICY: Required<RetryPolicy> = {
  maxAttempts: 3,
  initialDelayMs: 1000,
  maxDelayMs: 10_000,
  backoffCoefficient: 2,
  jitter: 0.2,
};

/** Deadline of one attempt, redirects and body included. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export const WEBHOOK_USER_AGENT = `Sluice/${VERSION}`;

/** How a delivery ended. `responseStatus` is the last HTTP status, null when none came. */
export interface SendOutcome {
  status: 'sent' | 'failed' | 'skipped';
  attempts: number;
  responseStatus: number | null;
  error: string | null;
}

export interface WebhookSendOptions {
  client: HttpClient;
  retry?: RetryPolicy | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Waits between attempts; injected by tests. Must reject when `signal` fires. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Clock for `X-Sluice-Timestamp`, in milliseconds. */
  now?: (() => number) | undefined;
}

/** Retries what may pass: transient errors and 408/429/5xx; a Retry-After is obeyed up to `maxDelayMs`. */
export function retryWebhook(policy: RetryPolicy) {
  return (outcome: AttemptOutcome<HttpResponse>): RetryDecision => {
    if (!outcome.ok) return retryTransientErrors(outcome);
    const { status, headers } = outcome.value;
    if (status !== 408 && status !== 429 && status < 500) return { retry: false };
    const asked = parseRetryAfter(headers['retry-after']);
    // Without a Retry-After, withRetries computes the backoff.
    return { retry: true, reason: `HTTP ${status}`, ...(asked !== undefined && { delayMs: Math.min(asked, policy.maxDelayMs) }) };
  };
}

/** Sends `payload` to `url`, signed with `secret`. */
export async function sendWebhook(url: string, secret: string, payload: WebhookPayload, options: WebhookSendOptions): Promise<SendOutcome> {
  const policy = options.retry ?? WEBHOOK_RETRY_POLICY;
  const now = options.now ?? Date.now;
  const body = JSON.stringify(payload);
  const decide = retryWebhook(policy);
  let target = url;
  let attempts = 0;
  let lastStatus: number | null = null;
  try {
    const split = splitUserinfo(url);
    target = split.target;
    const authorization = split.authorization;
    const response = await withRetries(
      (n) => {
        attempts = n;
        // A fresh timestamp per attempt: receivers refuse old ones, and a retry may come seconds later.
        const timestamp = Math.floor(now() / 1000);
        return options.client.send({
          method: 'POST',
          url: target,
          headers: {
            'content-type': 'application/json',
            'user-agent': WEBHOOK_USER_AGENT,
            'x-sluice-event': payload.event,
            'x-sluice-delivery': payload.deliveryId,
            'x-sluice-timestamp': String(timestamp),
            'x-sluice-signature': signPayload(secret, timestamp, body),
            ...(authorization && { authorization }),
          },
          body,
          timeoutMs: options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
          ...(options.signal && { signal: options.signal }),
        });
      },
      {
        policy,
        retryOn: (outcome) => {
          if (outcome.ok) lastStatus = outcome.value.status;
          return decide(outcome);
        },
        ...(options.signal && { signal: options.signal }),
        ...(options.sleep && { sleep: options.sleep }),
      },
    );
    lastStatus = response.status;
    if (response.status >= 200 && response.status < 300) return { status: 'sent', attempts, responseStatus: response.status, error: null };
    const snippet = response.body.replace(/\s+/g, ' ').trim().slice(0, 200);
    const tries = attempts === 1 ? '' : ` after ${attempts} attempts`;
    return {
      status: 'failed',
      attempts,
      responseStatus: response.status,
      error: `${maskUrl(target)} answered HTTP ${response.status}${tries}${snippet ? `: ${snippet}` : ''}`,
    };
  } catch (error) {
    return { status: 'failed', attempts, responseStatus: lastStatus, error: describeError(error) };
  }
}

function describeError(error: unknown): string {
  if (isAbortError(error)) return 'The delivery was cancelled';
  if (isAppError(error)) return error.message;
  // The client turns every expected failure into an AppError; anything else is kept short for the delivery record.
  return error instanceof Error ? `Unexpected error: ${error.message}` : 'Unexpected error';
}

/**
 * `https://user:pass@host/` carries Basic credentials the HTTP client would
 * drop (it sends origin and path); turn them into an Authorization header.
 */
function splitUserinfo(url: string): { target: string; authorization: string | undefined } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { target: url, authorization: undefined };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { target: parsed.href, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}
