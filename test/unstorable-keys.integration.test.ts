import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { multipart } from './helpers/multipart.js';

/**
 * Keys PostgreSQL cannot store as they are (a NUL, a lone surrogate) in an
 * uploaded JSON file: the upload runs to its end like any other, instead of
 * leaving land_raw running until its lease ran out.
 */
describeEachDatabase('uploads whose keys hold NUL or lone surrogates', (fixture) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(fixture, { SLUICE_TASK_LEASE_SECONDS: '600' });
    t.services.engine.start();
  });
  afterAll(async () => t.close());

  it('lands and loads the file: odd keys named, a value with NUL rejected with its reason', async () => {
    const content = JSON.stringify([{ 'k\u0000': 1, name: 'a\u0000b', ['half\ud800']: 'x' }, { 'k\u0000': 2, name: 'c', ['half\ud800']: 'y' }]);
    const body = multipart({ table: 'odd_keys' }, { name: 'odd.json', content, type: 'application/json' });
    const res = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...bearer(t.adminToken), ...body.headers }, payload: body.payload });
    expect(res.statusCode, res.body).toBe(201);
    const ingestRunId = res.json<{ dag_run_id: string }>().dag_run_id;
    const ingest = await waitForDagRun(t.app, 'enhanced_org_aware_ingest_dag', ingestRunId, t.adminToken);
    expect(ingest.state, JSON.stringify(ingest.tasks)).toBe('success');
    const loads = (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_mongo_to_postgres_dag/', headers: bearer(t.adminToken) })).json<{ dag_runs: { dag_run_id: string; conf: Record<string, unknown> }[] }>().dag_runs;
    const load = await waitForDagRun(t.app, 'enhanced_mongo_to_postgres_dag', loads.find((r) => r.conf.upstream_run_id === ingestRunId)!.dag_run_id, t.adminToken);
    expect(load.state, JSON.stringify(load.tasks)).toBe('success');
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/odd_keys/rows?orderBy=k', headers: bearer(t.adminToken) })).json<{ rows: Record<string, unknown>[]; total: number }>();
    // The keys lose what a column name cannot hold; the value PostgreSQL cannot store is a rejected row with its reason.
    expect(rows.rows.map((r) => [r.k, r.name, r.half])).toEqual([[2, 'c', 'y']]);
    const rejected = (await t.app.inject({ method: 'GET', url: '/api/tables/odd_keys/rejected', headers: bearer(t.adminToken) })).json<{ rows: { field: string; reason: string }[] }>().rows;
    expect(rejected).toEqual([expect.objectContaining({ field: 'name', reason: '"a\\u0000b" contains a NUL character (\\u0000), which PostgreSQL cannot store' })]);
  });
});
