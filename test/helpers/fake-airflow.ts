import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny stand-in for Airflow's REST API on 127.0.0.1, for the edge cases a
 * real Airflow cannot be made to show on demand (token expiry, 503s, 2.x).
 * It answers like Airflow 3.3 (`/api/v2`, JWT from `/auth/token`) or 2.x
 * (`/api/v1`, basic auth) with the same shapes; the integration tests
 * (`*.airflow.test.ts`) run against the real thing.
 */
export interface FakeAirflowOptions {
  api?: 'v1' | 'v2';
  username?: string;
  password?: string;
  /** `exp - iat` of issued tokens. Default 3600. */
  tokenLifetimeSeconds?: number;
  /** A reverse-proxy path prefix, e.g. `/airflow`. */
  prefix?: string;
}

export interface FakeRequest {
  method: string;
  /** Path after the prefix, without the query. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface FakeRun {
  dag_run_id: string;
  dag_id: string;
  state: string;
  run_type: string;
  logical_date: string | null;
  run_after: string;
  conf: Record<string, unknown>;
}

export interface FakeAirflow {
  /** Root URL including the prefix, without `/api/vN`. */
  url: string;
  requests: FakeRequest[];
  dags: Map<string, { is_paused: boolean; fileloc: string }>;
  runs: FakeRun[];
  importErrors: Array<{ filename: string; stack_trace: string }>;
  /** Logins answered with a token. */
  logins: number;
  /** Makes every token issued so far invalid (the next use answers 401). */
  revokeTokens(): void;
  /** The next requests whose path matches answer these statuses first (then normally). */
  failNext(path: RegExp, ...statuses: number[]): void;
  /** Requests whose path matches never get an answer. */
  hang(path: RegExp): void;
  /** Log content answered for any task, in the version's shape. */
  logContent: unknown;
  close(): Promise<void>;
}

export async function startFakeAirflow(options: FakeAirflowOptions = {}): Promise<FakeAirflow> {
  const api = options.api ?? 'v2';
  const username = options.username ?? 'admin';
  const password = options.password ?? 'secret-password';
  const lifetime = options.tokenLifetimeSeconds ?? 3600;
  const prefix = options.prefix ?? '';
  let validTokens = new Set<string>();
  let tokenSeq = 0;
  const failures: Array<{ path: RegExp; statuses: number[] }> = [];
  const hanging: RegExp[] = [];

  const fake: FakeAirflow = {
    url: '',
    requests: [],
    dags: new Map(),
    runs: [],
    importErrors: [],
    logins: 0,
    logContent:
      api === 'v2'
        ? [{ event: '::group::Log message source details' }, { timestamp: '2026-01-01T00:00:00Z', level: 'info', logger: 'task.stdout', event: 'hello from the task' }, 'a plain line']
        : '[2026-01-01T00:00:00] INFO - hello from the task\nsecond line\n',
    revokeTokens() {
      validTokens = new Set();
    },
    failNext(path, ...statuses) {
      failures.push({ path, statuses });
    },
    hang(path) {
      hanging.push(path);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, detail: unknown): void =>
    json(res, status, api === 'v2' ? { detail } : { type: 'about:blank', title: String(detail), status, detail });

  const issueToken = (): string => {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${part({ alg: 'HS512', typ: 'JWT' })}.${part({ sub: username, iat: now, exp: now + lifetime, n: ++tokenSeq })}.sig`;
    validTokens.add(token);
    return token;
  };

  const authorised = (req: http.IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    if (api === 'v2') return header.startsWith('Bearer ') && validTokens.has(header.slice(7));
    return header === `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  };

  const dagJson = (id: string): Record<string, unknown> => {
    const dag = fake.dags.get(id)!;
    const common = { dag_id: id, is_paused: dag.is_paused, fileloc: dag.fileloc, tags: [{ name: 'sluice', dag_id: id }], has_import_errors: false };
    return api === 'v2' ? { ...common, is_stale: false, file_token: 'tok', relative_fileloc: dag.fileloc.split('/').pop() } : { ...common, is_active: true };
  };

  const runJson = (run: FakeRun): Record<string, unknown> =>
    api === 'v2' ? { ...run, queued_at: run.run_after, dag_versions: [] } : { ...run, execution_date: run.logical_date, external_trigger: true };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(prefix)) return error(res, 404, 'Not Found');
    const path = url.pathname.slice(prefix.length);
    fake.requests.push({ method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, body });

    if (hanging.some((re) => re.test(path))) return; // never answered
    const failure = failures.find((f) => f.path.test(path) && f.statuses.length > 0);
    if (failure) return error(res, failure.statuses.shift()!, 'injected failure');

    if (api === 'v2' && path === '/auth/token' && req.method === 'POST') {
      const creds = JSON.parse(body || '{}') as { username?: string; password?: string };
      if (creds.username !== username || creds.password !== password) return error(res, 401, 'Invalid credentials');
      fake.logins++;
      return json(res, 201, { access_token: issueToken() });
    }
    const m = /^\/api\/(v1|v2)(\/.*)$/.exec(path);
    if (!m || m[1] !== api) return error(res, 404, 'Not Found');
    const route = m[2]!;
    if (route === '/version') return json(res, 200, { version: api === 'v2' ? '3.3.2' : '2.10.5', git_version: null });
    const healthy = { status: 'healthy', latest_scheduler_heartbeat: new Date().toISOString() };
    if ((api === 'v2' && route === '/monitor/health') || (api === 'v1' && route === '/health')) {
      return json(res, 200, { metadatabase: { status: 'healthy' }, scheduler: healthy, triggerer: { status: null }, dag_processor: healthy });
    }
    if (!authorised(req)) return error(res, 401, 'Not authenticated');

    if (route === '/dags' && req.method === 'GET') {
      const dags = [...fake.dags.keys()].map(dagJson);
      return json(res, 200, { dags, total_entries: dags.length });
    }
    if (route === '/importErrors') {
      const errors = fake.importErrors.map((e, i) => ({ import_error_id: i + 1, timestamp: '2026-01-01T00:00:00Z', bundle_name: 'dags-folder', ...e }));
      return json(res, 200, { import_errors: errors, total_entries: errors.length });
    }
    const dagRoute = /^\/dags\/([^/]+)(\/.*)?$/.exec(route);
    if (!dagRoute) return error(res, 404, 'Not Found');
    const dagId = decodeURIComponent(dagRoute[1]!);
    const rest = dagRoute[2] ?? '';
    if (!fake.dags.has(dagId)) return error(res, 404, `Dag with dag_id: '${dagId}' not found`);
    if (rest === '') {
      if (req.method === 'PATCH') {
        const patch = JSON.parse(body) as { is_paused?: unknown };
        if (typeof patch.is_paused !== 'boolean') return error(res, 422, [{ loc: ['body', 'is_paused'], msg: 'Field required', type: 'missing' }]);
        fake.dags.get(dagId)!.is_paused = patch.is_paused;
      }
      return json(res, 200, dagJson(dagId));
    }
    if (rest === '/dagRuns' && req.method === 'POST') {
      const input = JSON.parse(body) as Record<string, unknown>;
      if (api === 'v2') {
        if (!('logical_date' in input)) return error(res, 422, [{ loc: ['body', 'logical_date'], msg: 'Field required', type: 'missing' }]);
        const extra = Object.keys(input).filter((k) => !['logical_date', 'dag_run_id', 'conf', 'note', 'data_interval_start', 'data_interval_end', 'run_after'].includes(k));
        if (extra.length > 0) return error(res, 422, [{ loc: ['body', extra[0]], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }]);
      }
      const runId = String(input.dag_run_id ?? `manual__${Date.now()}`);
      if (fake.runs.some((r) => r.dag_id === dagId && r.dag_run_id === runId)) {
        return error(res, 409, { reason: 'Unique constraint violation', statement: 'hidden', orig_error: 'hidden' });
      }
      const run: FakeRun = {
        dag_run_id: runId,
        dag_id: dagId,
        state: 'queued',
        run_type: 'manual',
        logical_date: (input.logical_date as string | null | undefined) ?? (api === 'v1' ? new Date().toISOString() : null),
        run_after: new Date().toISOString(),
        conf: (input.conf as Record<string, unknown>) ?? {},
      };
      fake.runs.push(run);
      return json(res, 200, runJson(run));
    }
    if (rest === '/dagRuns' && req.method === 'GET') {
      const runs = fake.runs.filter((r) => r.dag_id === dagId).reverse().map(runJson);
      return json(res, 200, { dag_runs: runs, total_entries: runs.length });
    }
    const runRoute = /^\/dagRuns\/([^/]+)(\/.*)?$/.exec(rest);
    if (runRoute) {
      const runId = decodeURIComponent(runRoute[1]!);
      const run = fake.runs.find((r) => r.dag_id === dagId && r.dag_run_id === runId);
      if (!run) return error(res, 404, `The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
      const sub = runRoute[2] ?? '';
      if (sub === '') return json(res, 200, runJson(run));
      if (sub === '/taskInstances') {
        const ti = { task_id: 'work', dag_id: dagId, dag_run_id: runId, map_index: -1, state: 'success', try_number: 1, max_tries: 0, start_date: null, end_date: null, duration: 1.5, operator: '@task', hostname: 'vm' };
        return json(res, 200, { task_instances: [ti], total_entries: 1 });
      }
      if (/^\/taskInstances\/work\/logs\/\d+$/.test(sub)) return json(res, 200, { content: fake.logContent, continuation_token: null });
    }
    return error(res, 404, 'Not Found');
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}${prefix}`;
  return fake;
}
