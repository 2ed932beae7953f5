import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuditService } from '../src/audit/index.js';
import { PgliteDatabase } from '../src/db/index.js';
import type { RunView } from '../src/engine/index.js';
import { silentLogger } from '../src/logger.js';
import { Metrics } from '../src/metrics/index.js';
import type { DagRun } from '../src/runs/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { waitFor } from './helpers/airflow.js';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { multipart } from './helpers/multipart.js';

/**
 * GET /metrics (Prometheus text format) after real runs and uploads: the
 * series and their values, the token, off by default, and labels that stay
 * bounded however many organisations, connections and runs there are.
 */
const TOKEN = 'metrics-token-of-at-least-thirty-two-chars';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

describeEachDatabase('GET /metrics', (fixture) => {
  let t: TestApp;
  let api: FakeApi;
  const admin = () => bearer(t.adminToken);
  const scrape = async (app = t) => {
    const res = await app.app.inject({ method: 'GET', url: '/metrics', headers: bearer(TOKEN) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(res.body);
  };
  const connection = (id: string, path: string, table: string, token = t.adminToken) =>
    t.app.inject({ method: 'POST', url: '/api/connections', headers: bearer(token), payload: { id, name: id, apiConfig: { baseUrl: `${api.url}${path}` }, destination: { table } } });
  const runNow = async (connectionId: string, token = t.adminToken) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true&timeoutSeconds=60', headers: bearer(token), payload: { connectionId } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ run: RunView }>().run;
  };

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fixture, { SLUICE_METRICS_TOKEN: TOKEN });
    t.services.engine.start();
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  it('is refused without the token, stays out of the audit trail, and is absent when off', async () => {
    for (const headers of [{}, bearer('wrong-token-wrong-token-wrong-token-wrong'), admin()]) {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('unauthenticated');
    }
    await t.services.audit.flush();
    const { rows } = await t.services.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE action LIKE '%metrics%'");
    expect(rows[0]!.n).toBe(0);

    const off = await createTestApp(fixture);
    try {
      expect(off.services.metrics).toBeUndefined();
      const res = await off.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(404);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('not_found');
    } finally {
      await off.close();
    }
    const open = await createTestApp(fixture, { SLUICE_METRICS: 'true' });
    try {
      const res = await open.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('# TYPE sluice_http_requests_total counter');
    } finally {
      await open.close();
    }
  });

  it('counts what real runs and uploads did: rows loaded and rejected, attempts, failed runs, requests by route', async () => {
    expect((await connection('m-users', '/users', 'm_users')).statusCode).toBe(201);
    expect((await connection('m-broken', '/not-found', 'm_broken')).statusCode).toBe(201);
    expect((await runNow('m-users')).state).toBe('success');
    expect((await runNow('m-broken')).state).toBe('failed');

    const body = multipart({ table: 'm_stock' }, { name: 'stock.csv', content: 'sku,qty\nA,1\nB,2\nC,x\nD,4\n' });
    const up = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...body.headers }, payload: body.payload });
    expect(up.statusCode, up.body).toBe(201);
    const ingestRunId = up.json<{ dag_run_id: string }>().dag_run_id;
    expect((await waitForDagRun(t.app, 'enhanced_org_aware_ingest_dag', ingestRunId, t.adminToken)).state).toBe('success');
    const load = await waitFor(
      'the load run',
      async () => {
        const runs = (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_mongo_to_postgres_dag/', headers: admin() })).json<{ dag_runs: DagRun[] }>().dag_runs;
        const run = runs.find((r) => r.conf.upstream_run_id === ingestRunId);
        return run ? waitForDagRun(t.app, 'enhanced_mongo_to_postgres_dag', run.dag_run_id, t.adminToken) : undefined;
      },
      30_000,
      100,
    );
    expect(load.state).toBe('success');

    const tables = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: admin() })).json<{ tables: { name: string; rowCount: number; rejectedCount: number }[] }>().tables;
    const table = (name: string) => tables.find((x) => x.name === name)!;
    expect(table('m_users').rowCount).toBe(23);
    expect(table('m_stock').rejectedCount).toBeGreaterThan(0);

    const m = await scrape();
    // Rows: what the tables hold, per pipeline.
    expect(value(m, 'sluice_warehouse_rows_loaded_total', { pipeline: 'etl_workflow' })).toBe(table('m_users').rowCount);
    expect(value(m, 'sluice_warehouse_rows_loaded_total', { pipeline: 'enhanced_mongo_to_postgres_dag' })).toBe(table('m_stock').rowCount);
    expect(value(m, 'sluice_warehouse_rows_rejected_total', { pipeline: 'enhanced_mongo_to_postgres_dag' })).toBe(table('m_stock').rejectedCount);
    expect(value(m, 'sluice_raw_records_landed_total', { pipeline: 'etl_workflow' })).toBe(23);
    expect(value(m, 'sluice_raw_records_landed_total', { pipeline: 'enhanced_org_aware_ingest_dag' })).toBe(4);
    // Runs and attempts: the failed run counted.
    expect(value(m, 'sluice_runs_ended_total', { pipeline: 'etl_workflow', state: 'success' })).toBe(1);
    expect(value(m, 'sluice_runs_ended_total', { pipeline: 'etl_workflow', state: 'failed' })).toBe(1);
    expect(value(m, 'sluice_runs_ended_total', { pipeline: 'enhanced_mongo_to_postgres_dag', state: 'success' })).toBe(1);
    expect(value(m, 'sluice_task_attempts_total', { pipeline: 'etl_workflow', task: 'extract', outcome: 'failed' })).toBe(1);
    expect(value(m, 'sluice_task_attempts_total', { pipeline: 'etl_workflow', task: 'extract', outcome: 'success' })).toBe(1);
    expect(value(m, 'sluice_task_duration_seconds_count', { pipeline: 'etl_workflow', task: 'extract' })).toBe(2);
    expect(value(m, 'sluice_task_duration_seconds_count', { pipeline: 'enhanced_org_aware_ingest_dag', task: 'land_raw' })).toBe(1);
    // Nothing waits now.
    expect(value(m, 'sluice_queue_ready_tasks')).toBe(0);
    expect(value(m, 'sluice_queue_oldest_ready_seconds')).toBe(0);
    expect(value(m, 'sluice_runs', { pipeline: 'etl_workflow', state: 'queued' })).toBeUndefined();
    expect(value(m, 'sluice_worker_slots')).toBe(4);
    // Requests by route pattern and status.
    expect(value(m, 'sluice_http_requests_total', { method: 'POST', route: '/api/files/', status: '201' })).toBe(1);
    expect(value(m, 'sluice_http_requests_total', { method: 'POST', route: '/api/execute-run', status: '200' })).toBe(2);
    expect(value(m, 'sluice_http_request_duration_seconds_count', { method: 'POST', route: '/api/connections' })).toBe(2);
    expect(value(m, 'sluice_database_up')).toBe(1);
    if (fixture.kind === 'postgres') {
      expect(value(m, 'sluice_db_pool_max')).toBeGreaterThan(0);
      expect(value(m, 'sluice_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    } else {
      expect(value(m, 'sluice_db_pool_max')).toBeUndefined();
    }
    expect(m.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
  });

  it('counts audit events that could not be written, so an alert can catch a trail with holes', async () => {
    expect(value(await scrape(), 'sluice_audit_write_failures_total')).toBe(0);
    // The trail's database goes away under one event: it is logged whole, and counted.
    const closed = await PgliteDatabase.open();
    await closed.close();
    const lost = new AuditService(closed, silentLogger());
    await lost.record({ orgId: null, actor: { type: 'anonymous', id: null }, action: 'token.create', outcome: 'success', requestId: 'req-lost' });
    const metrics = new Metrics({ db: t.services.db, engine: t.services.engine, logger: silentLogger(), orgLabels: false, dagLabels: false, workerSlots: 1, audit: lost });
    try {
      expect(value(parse(await metrics.scrape()), 'sluice_audit_write_failures_total')).toBe(1);
    } finally {
      metrics.close();
    }
  });

  it('reports a schedule firing, its lag, and a schedule whose latest run failed', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: admin(), payload: { connectionId: 'm-broken', cronExpression: '* * * * *' } });
    expect(created.statusCode, created.body).toBe(201);
    const { scheduleId } = created.json<{ scheduleId: string }>();
    // As after a minute of downtime: the latest fire time is due now.
    await t.services.db.query("UPDATE schedules SET last_fire_at = now() - interval '2 minutes', next_fire_at = now() - interval '1 minute' WHERE id = $1", [scheduleId]);
    const fired = await waitFor('the scheduled run to end', async () => {
      const runs = await t.services.engine.runs.list('default', { connectionId: 'm-broken' });
      return runs.find((r) => r.scheduleId === scheduleId && ['success', 'failed'].includes(r.state));
    }, 30_000, 100);
    expect(fired.state).toBe('failed');
    const m = await scrape();
    expect(value(m, 'sluice_scheduler_lag_seconds_count', { stage: 'created' })).toBe(1);
    expect(value(m, 'sluice_scheduler_lag_seconds_count', { stage: 'started' })).toBe(1);
    expect(value(m, 'sluice_schedules', { orchestrator: 'builtin', state: 'active' })).toBe(1);
    expect(value(m, 'sluice_schedules_failing')).toBe(1);
    expect(value(m, 'sluice_scheduler_overdue_seconds')).toBeDefined();
    await t.app.inject({ method: 'PATCH', url: `/api/scheduler/${scheduleId}`, headers: admin(), payload: { paused: true } });
    expect(value(await scrape(), 'sluice_schedules_failing')).toBe(0);
  });

  it('shows tasks waiting: queue depth and the age of the oldest ready task', async () => {
    await t.services.engine.stop();
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: admin(), payload: { connectionId: 'm-users' } });
      expect(res.statusCode, res.body).toBe(202);
      await new Promise((r) => setTimeout(r, 50));
      const m = await scrape();
      expect(value(m, 'sluice_queue_ready_tasks')).toBe(1);
      expect(value(m, 'sluice_queue_oldest_ready_seconds')).toBeGreaterThan(0);
      expect(value(m, 'sluice_runs', { pipeline: 'etl_workflow', state: 'queued' })).toBe(1);
      expect(value(m, 'sluice_tasks', { pipeline: 'etl_workflow', state: 'queued' })).toBe(1);
      // Cancelled before it started: ended by the cancel, and counted.
      const cancelled = await t.app.inject({ method: 'POST', url: `/api/runs/${res.json<{ runId: string }>().runId}/cancel`, headers: admin() });
      expect(cancelled.json<RunView>().state).toBe('cancelled');
      const after = await scrape();
      expect(value(after, 'sluice_runs_ended_total', { pipeline: 'etl_workflow', state: 'cancelled' })).toBe(1);
      expect(value(after, 'sluice_queue_ready_tasks')).toBe(0);
    } finally {
      t.services.engine.start();
    }
  });

  it('counts requests refused before routing (a path that is not UTF-8) as unmatched', async () => {
    const count = (m: Sample[], status: string) => value(m, 'sluice_http_requests_total', { method: 'GET', route: '(unmatched)', status }) ?? 0;
    const before = await scrape();
    expect((await t.app.inject({ method: 'GET', url: '/api/runs/%ED%A0%80', headers: admin() })).statusCode).toBe(400);
    const after = await scrape();
    expect(count(after, '400') - count(before, '400')).toBe(1);
  });

  it('keeps labels bounded: no organisation, connection or run ids, one series for every unknown URL; ids only when opted in', async () => {
    const other = await t.orgWithUser('m-other', 'editor');
    for (let i = 0; i < 3; i++) {
      expect((await connection(`m-many-${i}`, '/users', `m_many_${i}`)).statusCode).toBe(201);
      await runNow(`m-many-${i}`);
    }
    expect((await connection('m-theirs', '/users', 'm_theirs', other.token)).statusCode).toBe(201);
    const theirs = await runNow('m-theirs', other.token);
    for (let i = 0; i < 20; i++) await t.app.inject({ method: 'GET', url: `/api/nope-${i}/${i}`, headers: admin() });
    const m = await scrape();
    const sluice = m.filter((s) => s.name.startsWith('sluice_'));
    const keys = new Set(sluice.flatMap((s) => Object.keys(s.labels)));
    expect([...keys].sort()).toEqual(['le', 'method', 'orchestrator', 'outcome', 'pipeline', 'route', 'stage', 'state', 'status', 'task']);
    const values = sluice.flatMap((s) => Object.values(s.labels));
    for (const id of ['default', 'm-other', 'm-many-0', 'm-theirs', 'etl_workflow_m-users', theirs.runId]) expect(values.some((v) => v.includes(id)), id).toBe(false);
    expect(values.some((v) => v.includes('nope'))).toBe(false);
    expect(new Set(sluice.filter((s) => s.name === 'sluice_http_requests_total').map((s) => s.labels.route)).size).toBeLessThan(30);

    // Opted in: organisation and DAG ids label the series.
    const labelled = await createTestApp(fixture, { SLUICE_METRICS_TOKEN: TOKEN, SLUICE_METRICS_ORG_LABELS: 'true', SLUICE_METRICS_DAG_LABELS: 'true', SLUICE_WORKER_CONCURRENCY: '0' });
    try {
      const queued = await labelled.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(other.token), payload: { connectionId: 'm-theirs' } });
      expect(queued.statusCode, queued.body).toBe(202);
      const l = await scrape(labelled);
      expect(value(l, 'sluice_runs', { pipeline: 'etl_workflow', dag: 'etl_workflow_m-theirs', org: 'm-other', state: 'queued' })).toBe(1);
      expect(value(l, 'sluice_queue_ready_tasks', { org: 'm-other' })).toBe(1);
    } finally {
      await labelled.close();
    }
  });
});
