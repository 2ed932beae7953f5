import { ERROR_CODES, type ErrorCode, type ErrorIntent } from './codes.js';

export { ERROR_CODES, type ErrorCode, type ErrorIntent } from './codes.js';

export interface AppErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** Extra response headers, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

/**
 * A failure Sluice expects and can describe. `code` is stable (see codes.ts);
 * `message` is for people and may name fields and values, never secrets.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get intent(): ErrorIntent {
    return ERROR_CODES[this.code].intent;
  }

  /** Whether running the same thing again may succeed. */
  get retryable(): boolean {
    return this.intent === 'transient';
  }
}

/** The caller's fault: bad input, missing permission, unknown resource. Never retried. */
export class UserError extends AppError {
  constructor(code: ErrorCode, message: string, options?: AppErrorOptions) {
    super(code, message, options);
    this.name = 'UserError';
  }
}

/** A passing fault (network, overload, lock held); the same call may succeed later. */
export class TransientError extends AppError {
  constructor(code: ErrorCode, message: string, options?: AppErrorOptions) {
    super(code, message, options);
    this.name = 'TransientError';
  }
}

export const notFound = (what: string, id: string): UserError =>
  new UserError('not_found', `${what} ${JSON.stringify(id)} was not found`);

export const conflict = (message: string, details?: unknown): UserError =>
  new UserError('conflict', message, { details });

/** One field-level problem, named by its path in the input (e.g. `apiConfig.baseUrl`). */
export interface FieldIssue {
  field: string;
  message: string;
}

export const validationFailed = (issues: FieldIssue[], code: 'validation_failed' | 'invalid_config' = 'validation_failed'): UserError =>
  new UserError(code, issues.map((i) => `${i.field}: ${i.message}`).join('; '), { details: { issues } });

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The CLI's exit code for an error: 2 for bad usage or input, 1 for a failed operation. */
export function exitCodeFor(error: unknown): 1 | 2 {
  if (!isAppError(error)) return 1;
  switch (error.code) {
    case 'validation_failed':
    case 'bad_request':
    case 'invalid_config':
    case 'invalid_settings':
    case 'json_too_deep':
    case 'multipart_malformed':
      return 2;
    case 'unauthenticated':
    case 'invalid_credentials':
    case 'forbidden':
    case 'forbidden_org':
    case 'not_found':
    case 'conflict':
    case 'payload_too_large':
    case 'unsupported_media_type':
    case 'client_closed_request':
    case 'too_many_login_attempts':
    case 'rate_limited':
    case 'source_blocked':
    case 'source_unreachable':
    case 'source_timeout':
    case 'source_auth_failed':
    case 'source_http_error':
    case 'source_bad_response':
    case 'source_server_error':
    case 'source_pagination_loop':
    case 'source_rate_limited':
    case 'curl_invalid':
    case 'openapi_invalid':
    case 'file_empty':
    case 'file_malformed':
    case 'file_unsupported':
    case 'health_check_failed':
    case 'run_failed':
    case 'task_timeout':
    case 'worker_lost':
    case 'worker_stopped':
    case 'data_dir_locked':
    case 'port_in_use':
    case 'database_refused':
    case 'database_unavailable':
    case 'database_connection_lost':
    case 'not_implemented':
    case 'forecast_column_invalid':
    case 'forecast_not_enabled':
    case 'forecast_no_data':
    case 'result_incomplete':
    case 'airflow_unreachable':
    case 'airflow_auth_failed':
    case 'airflow_dag_not_found':
    case 'airflow_import_error':
    case 'airflow_error':
    case 'airflow_server_error':
    case 'unavailable':
    case 'internal':
      return 1;
  }
}
