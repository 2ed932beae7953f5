/**
 * A typed client for Airflow's REST API: 3.x (`/api/v2`, a JWT from
 * `POST /auth/token`) and 2.x (`/api/v1`, basic auth), chosen by probing
 * `GET /api/v2/version` and falling back to `/api/v1/version`.
 *
 * It talks to Airflow through a plain undici Agent, not the SSRF-guarded
 * client of the REST connector: Airflow is infrastructure the operator
 * configured, usually on a private network. Every request has a deadline;
 * network failures and 5xx answers are retried a few times with backoff;
 * every failure is an AppError whose message says what happened and never
 * holds the password or the token.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { AppError, TransientError, UserError } from '../../errors/index.js';
import type { Logger } from '../../logger.js';
import {
  dagCollectionSchema,
  dagRunCollectionSchema,
  dagRunSchema,
  dagSchema,
  dagTaskCollectionSchema,
  errorBodySchema,
  healthSchema,
  importErrorCollectionSchema,
  taskInstanceCollectionSchema,
  taskLogSchema,
  tokenSchema,
  versionSchema,
  type AirflowDag,
  type AirflowDagRun,
  type AirflowHealthComponents,
  type AirflowImportError,
  type AirflowTaskInstance,
  type AirflowTaskLog,
  type AirflowVersionInfo,
} from './client.schema.js';

export type AirflowApiVersion = 'v1' | 'v2';

export interface AirflowClientOptions {
  /** Airflow's address, with or without a trailing `/api/v1` or `/api/v2` (AIRFLOW_API_URL). */
  apiUrl: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Where people open Airflow's UI (AIRFLOW_UI_URL); defaults to the API's address. */
  uiUrl?: string | undefined;
  /** Skip probing and use this API version. */
  apiVersion?: AirflowApiVersion;
  /** Deadline of one request, headers and body. Default 15 s. */
  timeoutMs?: number;
  /** Extra attempts after a network failure or a 5xx answer. Default 2. */
  retries?: number;
  /** First backoff delay; doubled each retry, with jitter, capped at 5 s. Default 300 ms. */
  retryDelayMs?: number;
  /** Renew the JWT this long before it expires (at most half its lifetime). Default 60 s. */
  tokenRenewMarginMs?: number;
  logger?: Logger;
  /** Use this dispatcher instead of a new Agent (the caller closes it). */
  dispatcher?: Dispatcher;
  /** Milliseconds since the epoch; tests move it to expire tokens. */
  now?: () => number;
}

export interface AirflowHealth extends AirflowHealthComponents {
  /** The metadata database and the scheduler are healthy, and the dag-processor is not unhealthy. */
  healthy: boolean;
  apiVersion: AirflowApiVersion;
}

export interface TriggerRunOptions {
  /** Our own run id (must match `^[A-Za-z0-9_.~:+-]+$`); one is made when absent. Reusing it makes the trigger idempotent. */
  runId?: string;
  conf?: Record<string, unknown>;
  /** 3.x: null (the default) creates a run without a logical date, which never collides. 2.x: omitted means now. */
  logicalDate?: string | null;
  note?: string;
}

export interface ListRunsOptions {
  /** Default 25, at most 100. */
  limit?: number;
  offset?: number;
  /** An Airflow field, `-` first for descending. Default newest first (`-run_after` on 3.x, `-execution_date` on 2.x). */
  orderBy?: string;
}

export interface ListDagsOptions {
  /** SQL LIKE pattern on the DAG id, e.g. `etl_workflow_%`. */
  dagIdPattern?: string;
  paused?: boolean;
  limit?: number;
  offset?: number;
}

export interface TaskLogOptions {
  mapIndex?: number;
  /** A `continuationToken` from an earlier answer, to read on from there. */
  token?: string;
  fullContent?: boolean;
}

export type { AirflowDag, AirflowDagRun, AirflowImportError, AirflowTaskInstance, AirflowTaskLog, AirflowVersionInfo };
export type { AirflowLogLine } from './client.schema.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** 404 is answered as `undefined` instead of throwing. */
  allow404?: boolean;
  /** Says what a 404 means, for the message. */
  notFound?: () => Promise<AppError>;
  /** Send credentials (false for the public version and health routes). */
  auth?: boolean;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 300;
const MAX_RETRY_DELAY_MS = 5_000;
const DEFAULT_RENEW_MARGIN_MS = 60_000;
const RETRY_STATUSES = new Set([500, 502, 503, 504]);
/** Airflow caps pages at `[api] maximum_page_limit`, 100 by default. */
const PAGE_LIMIT = 100;
const MAX_PAGES = 50;

/** Thrown inside `send` when no HTTP answer came (refused, reset, DNS, deadline). */
class NetworkFailure extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

/**
 * Splits a configured address into Airflow's root (scheme, host, any path
 * prefix of a reverse proxy) and the API version its suffix names, if any.
 */
export function parseAirflowUrl(apiUrl: string): { root: string; versionHint: AirflowApiVersion | undefined } {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new UserError('invalid_settings', `AIRFLOW_API_URL is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError('invalid_settings', `AIRFLOW_API_URL must be an http:// or https:// URL`);
  }
  // Credentials in the URL would end up in messages; they belong in AIRFLOW_USERNAME/PASSWORD.
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  let path = url.pathname.replace(/\/+$/, '');
  let versionHint: AirflowApiVersion | undefined;
  const match = /\/api\/(v1|v2)$/.exec(path);
  if (match) {
    versionHint = match[1] as AirflowApiVersion;
    path = path.slice(0, -match[0].length);
  }
  return { root: `${url.origin}${path}`, versionHint };
}

export class AirflowClient {
  /** Airflow's root URL, without `/api/vN` and without a trailing slash. */
  readonly root: string;
  private readonly options: AirflowClientOptions;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly now: () => number;
  private versionPromise: Promise<AirflowApiVersion> | undefined;
  private knownVersion: AirflowApiVersion | undefined;
  private token: { value: string; renewAt: number } | undefined;
  private tokenPromise: Promise<string> | undefined;

  constructor(options: AirflowClientOptions) {
    this.options = options;
    this.root = parseAirflowUrl(options.apiUrl).root;
    this.now = options.now ?? Date.now;
    this.knownVersion = options.apiVersion;
    if (options.apiVersion) this.versionPromise = Promise.resolve(options.apiVersion);
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher ?? new Agent({ connect: { timeout: 10_000 }, keepAliveTimeout: 10_000 });
  }

  /** The API version the server speaks, probed once (and again after a failed probe). */
  apiVersion(): Promise<AirflowApiVersion> {
    this.versionPromise ??= this.probeVersion().then(
      (version) => {
        this.knownVersion = version;
        return version;
      },
      (error: unknown) => {
        this.versionPromise = undefined;
        throw error;
      },
    );
    return this.versionPromise;
  }

  /** Airflow's version, e.g. `3.3.2`, and the API version in use. */
  async version(): Promise<AirflowVersionInfo & { apiVersion: AirflowApiVersion }> {
    const api = await this.apiVersion();
    const info = await this.call('GET', `/api/${api}/version`, versionSchema, { auth: api === 'v1' });
    return { ...info, apiVersion: api };
  }

  /** The components' health. Never throws for an unhealthy Airflow, only for an unreachable one. */
  async health(): Promise<AirflowHealth> {
    const api = await this.apiVersion();
    const path = api === 'v2' ? '/api/v2/monitor/health' : '/api/v1/health';
    const components = await this.call('GET', path, healthSchema, { auth: false });
    const healthy =
      components.metadatabase === 'healthy' && components.scheduler === 'healthy' && components.dagProcessor !== 'unhealthy';
    return { ...components, healthy, apiVersion: api };
  }

  async listDags(options: ListDagsOptions = {}): Promise<{ dags: AirflowDag[]; totalEntries: number }> {
    const api = await this.apiVersion();
    const page = await this.call('GET', `/api/${api}/dags`, dagCollectionSchema, {
      query: {
        dag_id_pattern: options.dagIdPattern,
        paused: options.paused,
        limit: Math.min(options.limit ?? PAGE_LIMIT, PAGE_LIMIT),
        offset: options.offset,
      },
    });
    return { dags: page.dags, totalEntries: page.total_entries };
  }

  /** The DAG, or an `airflow_dag_not_found` / `airflow_import_error` error saying why Airflow does not have it. */
  async getDag(dagId: string): Promise<AirflowDag> {
    const api = await this.apiVersion();
    return this.call('GET', `/api/${api}/dags/${enc(dagId)}`, dagSchema, { notFound: () => this.dagMissing(dagId) });
  }

  /** The DAG, or undefined while Airflow does not know it (for polling after writing a file). */
  async findDag(dagId: string): Promise<AirflowDag | undefined> {
    const api = await this.apiVersion();
    return this.call('GET', `/api/${api}/dags/${enc(dagId)}`, dagSchema, { allow404: true });
  }

  /** The tasks of a DAG as Airflow parsed it, each with its downstream tasks (to check a DAG file's shape). */
  async dagTasks(dagId: string): Promise<{ taskId: string; downstream: string[] }[]> {
    const api = await this.apiVersion();
    return this.call('GET', `/api/${api}/dags/${enc(dagId)}/tasks`, dagTaskCollectionSchema, { notFound: () => this.dagMissing(dagId) });
  }

  /** Every file Airflow failed to import; `filenameContains` keeps those whose path contains it. */
  async importErrors(options: { filenameContains?: string } = {}): Promise<AirflowImportError[]> {
    const api = await this.apiVersion();
    const all: AirflowImportError[] = [];
    for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
      const page = await this.call('GET', `/api/${api}/importErrors`, importErrorCollectionSchema, {
        query: { limit: PAGE_LIMIT, offset: pageNo * PAGE_LIMIT },
      });
      all.push(...page.import_errors);
      if (page.import_errors.length < PAGE_LIMIT || all.length >= page.total_entries) break;
    }
    const needle = options.filenameContains;
    return needle === undefined ? all : all.filter((e) => e.filename.includes(needle));
  }

  /**
   * Starts a run. With our own `runId`, sending again is safe: when Airflow
   * answers 409 (the run exists, e.g. a retried request that had gone
   * through), the existing run is returned.
   */
  async triggerRun(dagId: string, options: TriggerRunOptions = {}): Promise<AirflowDagRun> {
    const api = await this.apiVersion();
    const runId = options.runId ?? `sluice__${randomUUID()}`;
    const body: Record<string, unknown> = { dag_run_id: runId, conf: options.conf ?? {} };
    if (api === 'v2') {
      // Required key in 3.x (omitting it is a 422); null means "no logical date".
      body.logical_date = options.logicalDate ?? null;
    } else if (options.logicalDate) {
      body.logical_date = options.logicalDate;
    }
    if (options.note !== undefined) body.note = options.note;
    const path = `/api/${api}/dags/${enc(dagId)}/dagRuns`;
    try {
      return await this.call('POST', path, dagRunSchema, { body, notFound: () => this.dagMissing(dagId) });
    } catch (error) {
      if (error instanceof AppError && error.code === 'airflow_error' && (error.details as { status?: number })?.status === 409) {
        const existing = await this.call('GET', `${path}/${enc(runId)}`, dagRunSchema, { allow404: true });
        if (existing) return existing;
      }
      throw error;
    }
  }

  pause(dagId: string): Promise<AirflowDag> {
    return this.setPaused(dagId, true);
  }

  unpause(dagId: string): Promise<AirflowDag> {
    return this.setPaused(dagId, false);
  }

  /**
   * Removes the DAG and its runs from Airflow's database (remove its file
   * first, or the dag-processor brings it back). A DAG Airflow does not know
   * counts as removed.
   */
  async deleteDag(dagId: string): Promise<void> {
    const api = await this.apiVersion();
    await this.call('DELETE', `/api/${api}/dags/${enc(dagId)}`, z.unknown(), { allow404: true });
  }

  async getRun(dagId: string, runId: string): Promise<AirflowDagRun> {
    const api = await this.apiVersion();
    return this.call('GET', `/api/${api}/dags/${enc(dagId)}/dagRuns/${enc(runId)}`, dagRunSchema, {
      notFound: async () => {
        const dag = await this.findDag(dagId).catch(() => undefined);
        if (!dag) return this.dagMissing(dagId);
        return new UserError('not_found', `Airflow has no run ${JSON.stringify(runId)} of DAG ${JSON.stringify(dagId)}`);
      },
    });
  }

  /** Ends a run as `failed` (or `success`): Airflow stops scheduling its remaining tasks. Used to cancel. */
  async setRunState(dagId: string, runId: string, state: 'failed' | 'success'): Promise<AirflowDagRun> {
    const api = await this.apiVersion();
    return this.call('PATCH', `/api/${api}/dags/${enc(dagId)}/dagRuns/${enc(runId)}`, dagRunSchema, {
      body: { state },
      notFound: () => this.dagMissing(dagId),
    });
  }

  /** Clears the failed (and upstream-failed) task instances of a run, so Airflow runs them again. Used to retry. */
  async clearFailedTasks(dagId: string, runId: string): Promise<void> {
    const api = await this.apiVersion();
    const body = { dry_run: false, only_failed: true, reset_dag_runs: true, include_downstream: true, dag_run_id: runId };
    await this.call('POST', `/api/${api}/dags/${enc(dagId)}/clearTaskInstances`, z.unknown(), { body, notFound: () => this.dagMissing(dagId) });
  }

  async listRuns(dagId: string, options: ListRunsOptions = {}): Promise<{ runs: AirflowDagRun[]; totalEntries: number }> {
    const api = await this.apiVersion();
    const page = await this.call('GET', `/api/${api}/dags/${enc(dagId)}/dagRuns`, dagRunCollectionSchema, {
      query: {
        limit: Math.min(options.limit ?? 25, PAGE_LIMIT),
        offset: options.offset,
        order_by: options.orderBy ?? (api === 'v2' ? '-run_after' : '-execution_date'),
      },
      notFound: () => this.dagMissing(dagId),
    });
    return { runs: page.dag_runs, totalEntries: page.total_entries };
  }

  async taskInstances(dagId: string, runId: string): Promise<AirflowTaskInstance[]> {
    const api = await this.apiVersion();
    const page = await this.call(
      'GET',
      `/api/${api}/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances`,
      taskInstanceCollectionSchema,
      {
        query: { limit: PAGE_LIMIT },
        // getRun throws the precise error (no DAG, import error, no run); a 404 past it is unexpected.
        notFound: async () => {
          await this.getRun(dagId, runId);
          return new AppError('airflow_error', `Airflow answered 404 for the task instances of run ${JSON.stringify(runId)} of DAG ${JSON.stringify(dagId)}`);
        },
      },
    );
    return page.task_instances;
  }

  /** One attempt's log as lines; 3.x structured messages and 2.x text alike. */
  async taskLog(dagId: string, runId: string, taskId: string, tryNumber: number, options: TaskLogOptions = {}): Promise<AirflowTaskLog> {
    const api = await this.apiVersion();
    const path = `/api/${api}/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}/logs/${tryNumber}`;
    return this.call('GET', path, taskLogSchema, {
      query: { map_index: options.mapIndex, token: options.token, full_content: options.fullContent },
      notFound: async () =>
        new UserError(
          'not_found',
          `Airflow has no log for task ${JSON.stringify(taskId)} try ${tryNumber} of run ${JSON.stringify(runId)} of DAG ${JSON.stringify(dagId)}`,
        ),
    });
  }

  /**
   * A link to the DAG, or to one run, in Airflow's UI (3.x and 2.x lay their
   * pages out differently; before the version is probed the 3.x form is used).
   */
  uiUrlFor(dagId: string, runId?: string): string {
    const base = this.options.uiUrl ? this.options.uiUrl.replace(/\/+$/, '') : this.root;
    const dag = `${base}/dags/${enc(dagId)}`;
    if (this.knownVersion === 'v1') {
      return runId === undefined ? `${dag}/grid` : `${dag}/grid?dag_run_id=${enc(runId)}`;
    }
    return runId === undefined ? dag : `${dag}/runs/${enc(runId)}`;
  }

  /** Closes the connection pool (when the client made it). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  // --- internals -------------------------------------------------------------

  private async setPaused(dagId: string, paused: boolean): Promise<AirflowDag> {
    const api = await this.apiVersion();
    return this.call('PATCH', `/api/${api}/dags/${enc(dagId)}`, dagSchema, {
      query: { update_mask: 'is_paused' },
      body: { is_paused: paused },
      notFound: () => this.dagMissing(dagId),
    });
  }

  /** Why Airflow answers 404 for a DAG: a file it could not import, or one it has not parsed. */
  private async dagMissing(dagId: string): Promise<AppError> {
    const errors = await this.importErrors({ filenameContains: dagId }).catch(() => []);
    const error = errors[0];
    if (error) {
      return new UserError('airflow_import_error', `Import error in ${error.filename} (DAG ${JSON.stringify(dagId)}): ${lastLine(error.stackTrace)}`, {
        details: { dagId, filename: error.filename, stackTrace: error.stackTrace },
      });
    }
    return new TransientError(
      'airflow_dag_not_found',
      `DAG ${JSON.stringify(dagId)} not parsed yet (no such DAG; the dag-processor may not have picked the file up yet)`,
      { details: { dagId } },
    );
  }

  private async probeVersion(): Promise<AirflowApiVersion> {
    const v2 = await this.send('GET', '/api/v2/version', {});
    if (v2.status === 200) return 'v2';
    if (v2.status === 404) {
      const v1 = await this.send('GET', '/api/v1/version', { headers: this.basicAuthHeader() });
      if (v1.status === 200) return 'v1';
      if (v1.status === 401 || v1.status === 403) throw this.authFailed('GET /api/v1/version', v1.status);
      throw this.httpError('GET', '/api/v1/version', v1, `Airflow at ${this.root} answers neither /api/v2/version nor /api/v1/version`);
    }
    throw this.httpError('GET', '/api/v2/version', v2);
  }

  private async call<S extends z.ZodType>(method: Method, path: string, schema: S, options: CallOptions & { allow404: true }): Promise<z.output<S> | undefined>;
  private async call<S extends z.ZodType>(method: Method, path: string, schema: S, options?: CallOptions): Promise<z.output<S>>;
  private async call<S extends z.ZodType>(method: Method, path: string, schema: S, options: CallOptions = {}): Promise<z.output<S> | undefined> {
    const api = this.knownVersion;
    const auth = options.auth ?? true;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';

    const attempt = async (freshToken: boolean): Promise<RawResponse> => {
      const authHeaders = auth ? await this.authHeaders(api, freshToken) : {};
      return this.send(method, path, { query: options.query, body, headers: { ...headers, ...authHeaders } });
    };
    let response = await attempt(false);
    if (response.status === 401 && auth && api === 'v2') {
      // The token may have been revoked or the secret rotated: log in again, once.
      this.options.logger?.debug({ path }, 'airflow answered 401; renewing the token');
      response = await attempt(true);
    }

    const described = `${method} ${path}`;
    if (response.status === 404 && (options.allow404 || options.notFound)) {
      if (options.allow404) return undefined;
      throw await options.notFound!();
    }
    if (response.status === 401 || response.status === 403) throw this.authFailed(described, response.status, response);
    if (response.status < 200 || response.status >= 300) throw this.httpError(method, path, response);

    let json: unknown;
    try {
      json = response.body === '' ? null : JSON.parse(response.body);
    } catch {
      throw new AppError('airflow_error', `Airflow answered ${described} with something that is not JSON: ${snippet(response.body)}`, {
        details: { status: response.status },
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(
        'airflow_error',
        `Airflow answered ${described} with an unexpected shape (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'})`,
        { details: { status: response.status } },
      );
    }
    return parsed.data as z.output<S>;
  }

  private async authHeaders(api: AirflowApiVersion | undefined, freshToken: boolean): Promise<Record<string, string>> {
    if (api === 'v1') return this.basicAuthHeader();
    if (this.options.username === undefined || this.options.password === undefined) {
      // No credentials: an Airflow with `simple_auth_manager_all_admins` needs none.
      return {};
    }
    return { authorization: `Bearer ${await this.bearerToken(freshToken)}` };
  }

  private basicAuthHeader(): Record<string, string> {
    const { username, password } = this.options;
    if (username === undefined || password === undefined) return {};
    return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
  }

  /** A cached JWT, renewed before it expires; concurrent callers share one login. */
  private async bearerToken(fresh: boolean): Promise<string> {
    if (fresh) this.token = undefined;
    if (this.token && this.now() < this.token.renewAt) return this.token.value;
    this.tokenPromise ??= this.login().finally(() => {
      this.tokenPromise = undefined;
    });
    return this.tokenPromise;
  }

  private async login(): Promise<string> {
    const described = 'POST /auth/token';
    const response = await this.send('POST', '/auth/token', {
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ username: this.options.username, password: this.options.password }),
    });
    if (response.status === 400 || response.status === 401 || response.status === 403 || response.status === 422) {
      throw this.authFailed(described, response.status, response);
    }
    if (response.status !== 200 && response.status !== 201) throw this.httpError('POST', '/auth/token', response);
    let parsed: { access_token: string };
    try {
      parsed = tokenSchema.parse(JSON.parse(response.body));
    } catch {
      throw new AppError('airflow_error', `Airflow answered ${described} without an access_token`, { details: { status: response.status } });
    }
    const value = parsed.access_token;
    this.token = { value, renewAt: this.renewAt(value) };
    this.options.logger?.debug({ renewInMs: this.token.renewAt - this.now() }, 'airflow token obtained');
    return value;
  }

  /**
   * When to log in again: the token's lifetime (`exp - iat`, measured on the
   * server's clock, so a skewed local clock does not matter) counted from now,
   * less a margin of at most half that lifetime.
   */
  private renewAt(jwt: string): number {
    const now = this.now();
    const claims = decodeJwtClaims(jwt);
    if (typeof claims?.exp !== 'number') return now + 5 * 60_000;
    const lifetimeMs = (typeof claims.iat === 'number' ? claims.exp - claims.iat : claims.exp - now / 1000) * 1000;
    const margin = Math.min(this.options.tokenRenewMarginMs ?? DEFAULT_RENEW_MARGIN_MS, lifetimeMs / 2);
    return now + Math.max(0, lifetimeMs - margin);
  }

  /** One HTTP exchange, retried on network failures and 5xx; any other status is returned. */
  private async send(
    method: Method,
    path: string,
    init: { query?: CallOptions['query']; body?: string | undefined; headers?: Record<string, string> },
  ): Promise<RawResponse> {
    const url = new URL(this.root + path);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const retries = this.options.retries ?? DEFAULT_RETRIES;
    const described = `${method} ${path}`;
    for (let attempt = 0; ; attempt++) {
      const started = this.now();
      let outcome: RawResponse | NetworkFailure;
      try {
        outcome = await this.exchange(method, url, init.headers ?? {}, init.body, timeoutMs);
      } catch (error) {
        if (!(error instanceof NetworkFailure)) throw error;
        outcome = error;
      }
      const retryable = outcome instanceof NetworkFailure || RETRY_STATUSES.has(outcome.status);
      if (!retryable || attempt >= retries) {
        if (outcome instanceof NetworkFailure) {
          throw new TransientError(
            'airflow_unreachable',
            outcome.timedOut
              ? `Airflow at ${this.root} did not answer ${described} within ${timeoutMs} ms`
              : `Airflow unreachable at ${this.root} (${described}: ${outcome.message})`,
            { details: { url: this.root, attempts: attempt + 1 } },
          );
        }
        this.options.logger?.debug({ method, path, status: outcome.status, ms: this.now() - started }, 'airflow request');
        return outcome;
      }
      const delay = this.backoff(attempt, outcome instanceof NetworkFailure ? undefined : outcome.headers['retry-after']);
      this.options.logger?.warn(
        { method, path, attempt: attempt + 1, delayMs: delay, reason: outcome instanceof NetworkFailure ? outcome.message : outcome.status },
        'airflow request failed; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private async exchange(method: Method, url: URL, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawResponse> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await request(url, { method, headers, body, dispatcher: this.dispatcher, signal });
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body: text };
    } catch (error) {
      if (signal.aborted) throw new NetworkFailure('timed out', true);
      throw new NetworkFailure(networkReason(error), false);
    }
  }

  private backoff(attempt: number, retryAfter: string | string[] | undefined): number {
    const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_DELAY_MS);
    const base = (this.options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** attempt;
    return Math.min(base / 2 + Math.random() * (base / 2), MAX_RETRY_DELAY_MS);
  }

  private authFailed(described: string, status: number, response?: RawResponse): UserError {
    const user = this.options.username === undefined ? 'no username configured' : `user ${JSON.stringify(this.options.username)}`;
    const detail = response ? errorDetail(response.body) : undefined;
    const what =
      status === 403
        ? `Airflow at ${this.root} does not allow ${user} to ${described} (403)`
        : `Airflow at ${this.root} refused the credentials of ${user} for ${described} (${status})`;
    return new UserError('airflow_auth_failed', detail ? `${what}: ${detail}` : what, { details: { status } });
  }

  private httpError(method: Method, path: string, response: RawResponse, prefix?: string): AppError {
    const detail = errorDetail(response.body);
    const message = `${prefix ? `${prefix}; ` : ''}Airflow answered ${response.status} to ${method} ${path}${detail ? `: ${detail}` : ''}`;
    const details = { status: response.status };
    return response.status >= 500
      ? new TransientError('airflow_server_error', message, { details })
      : new AppError('airflow_error', message, { details });
  }
}

const enc = encodeURIComponent;

/** The readable part of an Airflow error body (v2 `detail`, v1 `title`/`detail`), shortened. */
function errorDetail(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body.trim() === '' ? undefined : snippet(body);
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return snippet(body);
  const { detail, title } = parsed.data;
  if (typeof detail === 'string') return snippet(typeof title === 'string' && title !== detail ? `${title}: ${detail}` : detail);
  if (Array.isArray(detail)) {
    // 422: [{loc: ["body", "logical_date"], msg: "Field required"}]
    return snippet(
      detail
        .map((d: { loc?: unknown[]; msg?: unknown }) => `${Array.isArray(d.loc) ? d.loc.join('.') : '?'}: ${String(d.msg ?? '')}`)
        .join('; '),
    );
  }
  if (detail && typeof detail === 'object') {
    const d = detail as { reason?: unknown; message?: unknown };
    return snippet([d.reason, d.message].filter((x) => typeof x === 'string').join(': ') || JSON.stringify(detail));
  }
  return typeof title === 'string' ? snippet(title) : undefined;
}

function snippet(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function lastLine(stackTrace: string): string {
  const lines = stackTrace.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? 'unknown error';
}

function networkReason(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown; message?: unknown }; message?: unknown };
  const code = typeof e?.code === 'string' && e.code !== 'UND_ERR_SOCKET' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function decodeJwtClaims(jwt: string): { exp?: unknown; iat?: unknown } | undefined {
  const payload = jwt.split('.')[1];
  if (!payload) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown; iat?: unknown };
  } catch {
    return undefined;
  }
}
