import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeStatus } from '../src/cli/commands/pipeline.command.js';
import type { RunView } from '../src/engine/index.js';
import type { TableStatus } from '../src/runs/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';

/**
 * The status of every way a table is fed: a table loaded by a connection's
 * runs shows them as its last ingest and load (the dashboard and
 * `sluice pipeline status` read this), and counts their failures.
 */
describeEachDatabase('pipeline status of tables fed by connections', (fixture) => {
  let t: TestApp;
  let api: FakeApi;
  const admin = () => bearer(t.adminToken);
  const status = async () => (await t.app.inject({ method: 'GET', url: '/api/airflow/pipeline-status/', headers: admin() })).json<{ tables: TableStatus[]; totals: { failures: number } }>();

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fixture);
    t.services.engine.start();
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  it('shows the connection runs of a table as its last ingest and load', async () => {
    for (const [id, path] of [['status-users', '/users'], ['status-broken', '/nope']]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/connections', headers: admin(), payload: { id, name: id, apiConfig: { baseUrl: `${api.url}${path}` }, destination: { table: 'status_users' } } });
      expect(res.statusCode, res.body).toBe(201);
    }
    const ok = (await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'status-users' } })).json<{ run: RunView }>().run;
    expect(ok.state).toBe('success');
    let table = (await status()).tables.find((x) => x.table === 'status_users')!;
    expect(table).toMatchObject({ row_count: 23, failures: 0, connections: ['status-broken', 'status-users'] });
    expect(table.last_ingest).toMatchObject({ dag_id: 'etl_workflow_status-users', dag_run_id: ok.runId, state: 'success' });
    expect(table.last_load).toMatchObject({ dag_id: 'etl_workflow_status-users', dag_run_id: ok.runId, state: 'success' });

    // The newest run of any connection of the table is the one shown; its failure counts.
    const failed = (await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'status-broken' } })).json<{ run: RunView }>().run;
    expect(failed.state).toBe('failed');
    const now = await status();
    table = now.tables.find((x) => x.table === 'status_users')!;
    expect(table.last_load).toMatchObject({ dag_run_id: failed.runId, state: 'failed' });
    expect(table.failures).toBe(1);
    expect(now.totals.failures).toBe(1);

    const text = describeStatus({ orgs: [{ org_id: 'default', name: 'default', tables: now.tables, totals: { rows: 23, failures: 1, active_runs: 0 } }] }, true);
    const line = text.split('\n').find((l) => l.startsWith('status_users'))!;
    expect(line).toMatch(/^status_users\s+23\s+0\s+failed \d{4}-\d\d-\d\d \d\d:\d\d\s+failed \d{4}-\d\d-\d\d \d\d:\d\d\s+—\s+1\s+/);
    expect(text).toContain('fed by connection(s) status-broken, status-users');
    // The run that is both the ingest and the load is listed once.
    expect(text.split('\n').filter((l) => l.includes(failed.runId))).toHaveLength(1);
  });
});
