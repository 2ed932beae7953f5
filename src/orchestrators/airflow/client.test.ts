import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAirflow, type FakeAirflow, type FakeAirflowOptions } from '../../../test/helpers/fake-airflow.js';
import { AppError } from '../../errors/index.js';
import { AirflowClient, parseAirflowUrl, type AirflowClientOptions } from './index.js';

const PASSWORD = 'secret-password';
let fake: FakeAirflow | undefined;
let client: AirflowClient | undefined;

async function setup(fakeOptions: FakeAirflowOptions = {}, clientOptions: Partial<AirflowClientOptions> = {}): Promise<{ fake: FakeAirflow; client: AirflowClient }> {
  fake = await startFakeAirflow({ password: PASSWORD, ...fakeOptions });
  fake.dags.set('etl_workflow_c1', { is_paused: true, fileloc: '/dags/etl_workflow_c1.py' });
  client = new AirflowClient({ apiUrl: fake.url, username: 'admin', password: PASSWORD, retryDelayMs: 10, ...clientOptions });
  return { fake, client };
}

afterEach(async () => {
  await client?.close();
  await fake?.close();
  client = undefined;
  fake = undefined;
});

/** The error a promise rejects with, checked to be an AppError that leaks no secret. */
async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const text = `${(error as AppError).message} ${JSON.stringify(error)} ${JSON.stringify((error as AppError).details)}`;
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toMatch(/eyJ[\w-]+\./); // no JWT
  return error as AppError;
}

describe('parseAirflowUrl', () => {
  it('strips /api/v1, /api/v2, trailing slashes, credentials and queries, keeping a proxy prefix', () => {
    expect(parseAirflowUrl('http://airflow:8080')).toEqual({ root: 'http://airflow:8080', versionHint: undefined });
    expect(parseAirflowUrl('http://airflow:8080/api/v1')).toEqual({ root: 'http://airflow:8080', versionHint: 'v1' });
    expect(parseAirflowUrl('http://airflow:8080/api/v2/')).toEqual({ root: 'http://airflow:8080', versionHint: 'v2' });
    expect(parseAirflowUrl('https://u:p@example.com/airflow/api/v2?x=1')).toEqual({ root: 'https://example.com/airflow', versionHint: 'v2' });
    expect(() => parseAirflowUrl('ftp://x')).toThrow(/http/);
  });
});

describe('AirflowClient against a fake Airflow 3.x', () => {
  it('probes v2, logs in once and sends the JWT on every call', async () => {
    const { fake, client } = await setup();
    expect(await client.apiVersion()).toBe('v2');
    expect(await client.version()).toEqual({ version: '3.3.2', gitVersion: null, apiVersion: 'v2' });
    const dags = await client.listDags();
    expect(dags.dags.map((d) => d.dagId)).toEqual(['etl_workflow_c1']);
    expect(dags.dags[0]).toMatchObject({ isPaused: true, isStale: false, tags: ['sluice'], fileToken: 'tok' });
    await client.getDag('etl_workflow_c1');
    expect(fake.logins).toBe(1);
    const authorised = fake.requests.filter((r) => r.path.startsWith('/api/v2/dags'));
    expect(authorised.every((r) => r.headers.authorization?.startsWith('Bearer '))).toBe(true);
    // The public routes get no credentials.
    expect(fake.requests.find((r) => r.path === '/api/v2/version')?.headers.authorization).toBeUndefined();
  });

  it('accepts the base URL with /api/v1, /api/v2 or a trailing slash, and under a proxy prefix', async () => {
    const { fake } = await setup({ prefix: '/airflow' });
    for (const suffix of ['', '/', '/api/v1', '/api/v2/']) {
      const c = new AirflowClient({ apiUrl: fake.url + suffix, username: 'admin', password: PASSWORD });
      expect((await c.version()).version).toBe('3.3.2');
      expect((await c.getDag('etl_workflow_c1')).dagId).toBe('etl_workflow_c1');
      await c.close();
    }
    expect(fake.requests.every((r) => !r.path.includes('/api/v2/api/'))).toBe(true);
  });

  it('renews the token before it expires', async () => {
    let now = Date.now();
    const { fake, client } = await setup({ tokenLifetimeSeconds: 600 }, { now: () => now, tokenRenewMarginMs: 60_000 });
    await client.getDag('etl_workflow_c1');
    now += 500_000; // 100 s before expiry: still used
    await client.getDag('etl_workflow_c1');
    expect(fake.logins).toBe(1);
    now += 50_000; // 50 s before expiry: inside the margin
    await client.getDag('etl_workflow_c1');
    expect(fake.logins).toBe(2);
    expect(fake.requests.filter((r) => r.headers.authorization === undefined && r.path.startsWith('/api/v2/dags'))).toEqual([]);
  });

  it('shares one login between concurrent calls', async () => {
    const { fake, client } = await setup();
    await Promise.all([client.getDag('etl_workflow_c1'), client.listDags(), client.importErrors()]);
    expect(fake.logins).toBe(1);
  });

  it('logs in again once on a 401 and repeats the request', async () => {
    const { fake, client } = await setup();
    await client.getDag('etl_workflow_c1');
    fake.revokeTokens();
    const dag = await client.unpause('etl_workflow_c1');
    expect(dag.isPaused).toBe(false);
    expect(fake.logins).toBe(2);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('fails with airflow_auth_failed, not a loop, when 401 persists', async () => {
    const { fake, client } = await setup();
    await client.getDag('etl_workflow_c1');
    fake.failNext(/^\/api\/v2\/dags\//, 401, 401, 401);
    const error = await failure(client.getDag('etl_workflow_c1'));
    expect(error.code).toBe('airflow_auth_failed');
    expect(error.message).toContain('"admin"');
    expect(fake.logins).toBe(2);
  });

  it('says the credentials are wrong without repeating them', async () => {
    const { fake } = await setup();
    const c = new AirflowClient({ apiUrl: fake.url, username: 'admin', password: 'wrong-password' });
    const error = await failure(c.listDags());
    expect(error.code).toBe('airflow_auth_failed');
    expect(error.message).toMatch(/refused the credentials of user "admin" for POST \/auth\/token \(401\): Invalid credentials/);
    expect(error.message).not.toContain('wrong-password');
    await c.close();
  });

  it('retries 503 answers with backoff and then succeeds', async () => {
    const { fake, client } = await setup();
    await client.apiVersion();
    fake.failNext(/^\/api\/v2\/dags$/, 503, 503);
    const dags = await client.listDags();
    expect(dags.totalEntries).toBe(1);
    expect(fake.requests.filter((r) => r.path === '/api/v2/dags')).toHaveLength(3);
  });

  it('gives up after the retries with airflow_server_error', async () => {
    const { fake, client } = await setup({}, { retries: 1 });
    await client.apiVersion();
    fake.failNext(/^\/api\/v2\/dags$/, 503, 503, 503);
    const error = await failure(client.listDags());
    expect(error.code).toBe('airflow_server_error');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('Airflow answered 503 to GET /api/v2/dags: injected failure');
    expect(fake.requests.filter((r) => r.path === '/api/v2/dags')).toHaveLength(2);
  });

  it('says Airflow is unreachable when nothing listens', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const c = new AirflowClient({ apiUrl: `http://127.0.0.1:${port}/api/v2`, username: 'admin', password: PASSWORD, retries: 1, retryDelayMs: 5 });
    const error = await failure(c.health());
    expect(error.code).toBe('airflow_unreachable');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(new RegExp(`^Airflow unreachable at http://127\\.0\\.0\\.1:${port} \\(GET /api/v2/version: .*ECONNREFUSED`));
    await c.close();
  });

  it('stops waiting after the timeout', async () => {
    const { fake } = await setup();
    fake.hang(/^\/api\/v2\/monitor\/health$/);
    const c = new AirflowClient({ apiUrl: fake.url, timeoutMs: 200, retries: 0 });
    const error = await failure(c.health());
    expect(error.code).toBe('airflow_unreachable');
    expect(error.message).toBe(`Airflow at ${fake.url} did not answer GET /api/v2/monitor/health within 200 ms`);
    await c.close();
  });

  it('reports health from the body', async () => {
    const { client } = await setup();
    expect(await client.health()).toEqual({
      metadatabase: 'healthy',
      scheduler: 'healthy',
      triggerer: null,
      dagProcessor: 'healthy',
      healthy: true,
      apiVersion: 'v2',
    });
  });

  it('explains a missing DAG: not parsed yet, or an import error', async () => {
    const { fake, client } = await setup();
    let error = await failure(client.triggerRun('etl_workflow_new'));
    expect(error.code).toBe('airflow_dag_not_found');
    expect(error.message).toBe(
      'DAG "etl_workflow_new" not parsed yet (no such DAG; the dag-processor may not have picked the file up yet)',
    );
    expect(await client.findDag('etl_workflow_new')).toBeUndefined();

    fake.importErrors.push({ filename: 'etl_workflow_new.py', stack_trace: 'Traceback...\n  File "x", line 2\nSyntaxError: invalid syntax\n' });
    error = await failure(client.getDag('etl_workflow_new'));
    expect(error.code).toBe('airflow_import_error');
    expect(error.message).toBe('Import error in etl_workflow_new.py (DAG "etl_workflow_new"): SyntaxError: invalid syntax');
    expect(await client.importErrors({ filenameContains: 'etl_workflow_new' })).toHaveLength(1);
    expect(await client.importErrors({ filenameContains: 'other' })).toHaveLength(0);
  });

  it('triggers with logical_date: null, our run id and conf; a repeated trigger returns the same run', async () => {
    const { fake, client } = await setup();
    const run = await client.triggerRun('etl_workflow_c1', { runId: 'sluice__r1', conf: { orgId: 'o1' } });
    expect(run).toMatchObject({ runId: 'sluice__r1', dagId: 'etl_workflow_c1', state: 'queued', logicalDate: null, conf: { orgId: 'o1' } });
    const sent = JSON.parse(fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/dagRuns'))!.body) as Record<string, unknown>;
    expect(sent).toEqual({ dag_run_id: 'sluice__r1', conf: { orgId: 'o1' }, logical_date: null });

    const again = await client.triggerRun('etl_workflow_c1', { runId: 'sluice__r1', conf: { orgId: 'o1' } });
    expect(again.runId).toBe('sluice__r1');
    expect(fake.runs).toHaveLength(1);

    const generated = await client.triggerRun('etl_workflow_c1');
    expect(generated.runId).toMatch(/^sluice__[0-9a-f-]{36}$/);
  });

  it('reads runs, task instances and a structured log', async () => {
    const { client } = await setup();
    await client.triggerRun('etl_workflow_c1', { runId: 'r:1+x' });
    expect((await client.getRun('etl_workflow_c1', 'r:1+x')).runId).toBe('r:1+x');
    const listed = await client.listRuns('etl_workflow_c1', { limit: 5 });
    expect(listed.runs.map((r) => r.runId)).toEqual(['r:1+x']);
    const tis = await client.taskInstances('etl_workflow_c1', 'r:1+x');
    expect(tis).toEqual([expect.objectContaining({ taskId: 'work', state: 'success', tryNumber: 1, mapIndex: -1, durationSeconds: 1.5 })]);
    const log = await client.taskLog('etl_workflow_c1', 'r:1+x', 'work', 1);
    expect(log.lines.map((l) => l.text)).toEqual(['::group::Log message source details', 'hello from the task', 'a plain line']);
    expect(log.lines[1]).toEqual({ timestamp: '2026-01-01T00:00:00Z', level: 'info', logger: 'task.stdout', text: 'hello from the task' });

    const missing = await failure(client.getRun('etl_workflow_c1', 'nope'));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toBe('Airflow has no run "nope" of DAG "etl_workflow_c1"');
  });

  it('passes on a 409 for a run that does not exist as airflow_error', async () => {
    const { fake, client } = await setup();
    await client.apiVersion();
    fake.failNext(/dagRuns$/, 409);
    const error = await failure(client.triggerRun('etl_workflow_c1', { runId: 'x' }));
    // A 409 for a run that does not exist is not mistaken for success.
    expect(error.code).toBe('airflow_error');
    expect(error.message).toBe('Airflow answered 409 to POST /api/v2/dags/etl_workflow_c1/dagRuns: injected failure');
  });

  it('links to the 3.x UI, or to AIRFLOW_UI_URL', async () => {
    const { fake, client } = await setup();
    expect(client.uiUrlFor('etl_workflow_c1', 'sluice__r:1')).toBe(`${fake.url}/dags/etl_workflow_c1/runs/sluice__r%3A1`);
    const c = new AirflowClient({ apiUrl: `${fake.url}/api/v2`, uiUrl: 'https://airflow.example.com/' });
    expect(c.uiUrlFor('d')).toBe('https://airflow.example.com/dags/d');
    await c.close();
  });
});

describe('AirflowClient against a fake Airflow 2.x', () => {
  it('falls back to /api/v1 with basic auth and never asks for a token', async () => {
    const { fake, client } = await setup({ api: 'v1' });
    expect(await client.version()).toEqual({ version: '2.10.5', gitVersion: null, apiVersion: 'v1' });
    expect((await client.health()).healthy).toBe(true);
    const dag = await client.unpause('etl_workflow_c1');
    expect(dag).toMatchObject({ isPaused: false, isStale: false });
    expect(fake.requests.some((r) => r.path === '/auth/token')).toBe(false);
    const patch = fake.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.headers.authorization).toBe(`Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`);
    expect(patch.query.get('update_mask')).toBe('is_paused');
  });

  it('triggers without a logical_date key and reads a text log as lines', async () => {
    const { fake, client } = await setup({ api: 'v1' });
    const run = await client.triggerRun('etl_workflow_c1', { runId: 'sluice__r2', conf: { a: 1 } });
    expect(run.logicalDate).not.toBeNull();
    const sent = JSON.parse(fake.requests.find((r) => r.method === 'POST')!.body) as Record<string, unknown>;
    expect(sent).toEqual({ dag_run_id: 'sluice__r2', conf: { a: 1 } });
    const log = await client.taskLog('etl_workflow_c1', 'sluice__r2', 'work', 1);
    expect(log.lines.map((l) => l.text)).toEqual(['[2026-01-01T00:00:00] INFO - hello from the task', 'second line']);
    expect((await client.listRuns('etl_workflow_c1')).runs).toHaveLength(1);
    expect(fake.requests.find((r) => r.method === 'GET' && r.path.endsWith('/dagRuns'))?.query.get('order_by')).toBe('-execution_date');
    expect(client.uiUrlFor('etl_workflow_c1', 'sluice__r2')).toBe(`${fake.url}/dags/etl_workflow_c1/grid?dag_run_id=sluice__r2`);
  });

  it('reports wrong basic-auth credentials as airflow_auth_failed', async () => {
    const { fake } = await setup({ api: 'v1' });
    const c = new AirflowClient({ apiUrl: fake.url, username: 'admin', password: 'nope-nope' });
    const error = await failure(c.listDags());
    expect(error.code).toBe('airflow_auth_failed');
    expect(error.message).not.toContain('nope-nope');
    await c.close();
  });
});
