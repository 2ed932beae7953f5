/**
 * Cancellation: when the caller's AbortSignal fires (a run was cancelled),
 * operations stop with a `CancelledError`. It is deliberately not an
 * AppError: a cancellation is neither the source's fault nor worth a retry,
 * and the engine recognises it by `name === 'AbortError'` like any DOM abort.
 */

/** The operation was stopped by the caller's AbortSignal. */
export class CancelledError extends Error {
  readonly code = 'ABORT_ERR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** Whether `error` is a cancellation (ours, or a DOM/undici AbortError). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Throws a `CancelledError` saying `what` was cancelled if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new CancelledError(`${what} was cancelled`, { cause: signal.reason });
}

/** Waits `ms`, or rejects with a `CancelledError` as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CancelledError('The wait before a retry was cancelled', { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError('The wait before a retry was cancelled', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
