/**
 * The stable error codes of Sluice, one registry. API clients, the CLI and
 * Airflow tasks may branch on these strings: never rename one, only add.
 * Each code is documented in docs/errors.md (a test keeps the two in step).
 *
 * `intent` follows n8n's three kinds of failure:
 * - `user`: the caller's input or permissions; not retried.
 * - `transient`: a passing fault (network, lock, overload); safe to retry.
 * - `bug`: an unexpected failure of Sluice itself.
 */
export const ERROR_CODES = {
  invalid_settings: { status: 500, intent: 'user', title: 'An environment variable is invalid; the message lists each one.' },
  validation_failed: { status: 400, intent: 'user', title: 'The request is malformed or a field is invalid.' },
  bad_request: { status: 400, intent: 'user', title: 'The request cannot be processed as sent.' },
  unauthenticated: { status: 401, intent: 'user', title: 'No bearer token, or the token is unknown, expired or revoked.' },
  invalid_credentials: { status: 401, intent: 'user', title: 'The email or password is wrong.' },
  forbidden: { status: 403, intent: 'user', title: "The caller's role does not allow this action." },
  forbidden_org: { status: 403, intent: 'user', title: "The request names an organisation other than the caller's." },
  not_found: { status: 404, intent: 'user', title: 'The resource does not exist in the caller\'s organisation.' },
  conflict: { status: 409, intent: 'user', title: 'The resource already exists or changed meanwhile.' },
  payload_too_large: { status: 413, intent: 'user', title: 'The request body or upload is larger than allowed.' },
  unsupported_media_type: { status: 415, intent: 'user', title: 'The Content-Type is not accepted here.' },
  json_too_deep: { status: 400, intent: 'user', title: 'The JSON body is nested deeper than allowed (64 levels of arrays and objects).' },
  multipart_malformed: { status: 400, intent: 'user', title: 'The multipart/form-data body cannot be read: no or a wrong boundary, a malformed part, or it ends before its closing boundary.' },
  client_closed_request: { status: 400, intent: 'user', title: 'The client closed the connection before it had sent the whole request (a truncated upload); nothing was kept.' },
  invalid_config: { status: 422, intent: 'user', title: 'The JSON is well-formed but the configuration it holds is invalid.' },
  too_many_login_attempts: { status: 429, intent: 'transient', title: 'Too many failed logins; wait before trying again.' },
  rate_limited: { status: 429, intent: 'transient', title: 'Too many requests; wait before trying again.' },
  source_blocked: { status: 422, intent: 'user', title: 'The address of the source is refused by the private-network guard (SSRF).' },
  source_unreachable: { status: 422, intent: 'transient', title: 'The source API could not be reached (DNS, connection refused, reset).' },
  source_timeout: { status: 422, intent: 'transient', title: 'The source API did not answer within the timeout.' },
  source_auth_failed: { status: 422, intent: 'user', title: 'The source API refused the credentials (401/403, or the OAuth token request failed).' },
  source_http_error: { status: 422, intent: 'user', title: 'The source API answered with an HTTP error status.' },
  source_bad_response: { status: 422, intent: 'user', title: 'The source API answered with something that is not the JSON expected (HTML, truncated JSON, too large, no records).' },
  source_server_error: { status: 422, intent: 'transient', title: 'The source API kept answering with a server error (5xx) through every retry.' },
  source_pagination_loop: { status: 422, intent: 'user', title: 'The source API returned the same cursor or next URL twice; reading stopped instead of looping.' },
  source_rate_limited: { status: 429, intent: 'transient', title: 'The source API kept answering 429 after every retry.' },
  openapi_invalid: { status: 422, intent: 'user', title: 'The OpenAPI document cannot be read: not JSON or YAML, not valid OpenAPI 3 or Swagger 2, no such GET operation, or no absolute server address.' },
  curl_invalid: { status: 422, intent: 'user', title: 'The curl command cannot be read as a connection: a shell syntax error, no http(s) URL, or a method a connection cannot read with.' },
  file_empty: { status: 422, intent: 'user', title: 'The uploaded file is empty: no bytes, or only blank lines.' },
  file_malformed: { status: 422, intent: 'user', title: 'The file cannot be read as its format (JSON syntax error, no array of records); the message names the position.' },
  file_unsupported: { status: 422, intent: 'user', title: 'The file is not CSV, TSV, JSON or NDJSON text in UTF-8 (a workbook, an archive, UTF-16...).' },
  health_check_failed: { status: 422, intent: 'user', title: "A run's health check found a problem with what was loaded (records lost, too many rejected); the message lists the failed checks." },
  run_failed: { status: 409, intent: 'user', title: 'A run the command waited for ended failed or cancelled (the CLI exits 1); its tasks say why.' },
  task_timeout: { status: 504, intent: 'transient', title: 'A task ran longer than its timeout and was stopped; it is retried while tries are left.' },
  worker_lost: { status: 503, intent: 'transient', title: 'The worker running a task stopped renewing its lease (killed, machine lost); the task is retried.' },
  worker_stopped: { status: 503, intent: 'transient', title: 'The worker was shut down while the task ran; the task is retried.' },
  data_dir_locked: { status: 409, intent: 'user', title: 'Another Sluice process holds the embedded data directory.' },
  port_in_use: { status: 409, intent: 'user', title: 'The HTTP port is taken by another program.' },
  database_refused: { status: 503, intent: 'user', title: 'The PostgreSQL server refused the login or does not have the database named in the settings.' },
  database_unavailable: { status: 503, intent: 'transient', title: 'The database cannot be reached.' },
  database_connection_lost: { status: 503, intent: 'transient', title: 'The connection to PostgreSQL died under the work using it (terminated, a failover or a restart).' },
  not_implemented: { status: 501, intent: 'user', title: 'This version of Sluice does not do this yet (for example the inventory forecast).' },
  forecast_column_invalid: { status: 422, intent: 'user', title: "A table's forecast settings name a column it does not have or of a type that cannot serve (text quantities), or no such column could be detected; the details name the setting." },
  forecast_not_enabled: { status: 409, intent: 'user', title: "The table's forecast is off (or no table of the organisation has one on): turn it on with PUT /api/tables/:table/forecast or upload with inventory=true." },
  forecast_no_data: { status: 422, intent: 'user', title: 'A forecast found no usable row in the table: every row lacks an item, a date or a quantity.' },
  result_incomplete: { status: 409, intent: 'user', title: "A forecast's shards did not all leave their results (the run was cleaned up, or rows are missing): nothing was published; trigger the forecast again." },
  airflow_unreachable: { status: 503, intent: 'transient', title: 'Airflow\'s REST API could not be reached or did not answer in time.' },
  airflow_auth_failed: { status: 502, intent: 'user', title: 'Airflow refused the configured username/password, or the user lacks the role for the action.' },
  airflow_dag_not_found: { status: 503, intent: 'transient', title: 'Airflow does not know the DAG (yet): its file was not parsed, or was removed.' },
  airflow_import_error: { status: 502, intent: 'user', title: 'Airflow could not import the DAG file; the message holds the end of its traceback.' },
  airflow_error: { status: 502, intent: 'user', title: 'Airflow refused a request (an HTTP error other than the above); the message quotes its answer.' },
  airflow_server_error: { status: 502, intent: 'transient', title: 'Airflow kept answering with a server error (5xx) through every retry.' },
  unavailable: { status: 503, intent: 'transient', title: 'A dependency is unavailable; try again later.' },
  internal: { status: 500, intent: 'bug', title: 'An unexpected error; details are in the server log.' },
} as const satisfies Record<string, { status: number; intent: 'user' | 'transient' | 'bug'; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorIntent = (typeof ERROR_CODES)[ErrorCode]['intent'];
