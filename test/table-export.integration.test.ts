import { afterAll, beforeAll, expect, it } from 'vitest';
import Papa from 'papaparse';
import type { RunView } from '../src/engine/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { multipart } from './helpers/multipart.js';

/**
 * What a user takes out of a table: quality reports of every load (uploads
 * and connection runs) and the table or its rejected rows as CSV, streamed.
 */
describeEachDatabase('table quality and export', (fixture) => {
  let t: TestApp;
  let api: FakeApi;
  let other: { token: string };
  const admin = () => bearer(t.adminToken);
  const get = (url: string, token = t.adminToken) => t.app.inject({ method: 'GET', url, headers: bearer(token) });

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fixture);
    t.services.engine.start();
    other = await t.orgWithUser('export-other', 'admin');
    const csv = ['sku,name,qty,received', 'A-1,"Widget, large",10,2026-01-02', 'A-2,=HYPERLINK("x"),-5,2026-01-03', 'A-3,"two', 'lines",7,2026-01-04', 'A-4,Saw,twelve,2026-01-05', ''].join('\n');
    const body = multipart({ table: 'stock' }, { name: 'stock.csv', content: csv });
    const res = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...body.headers }, payload: body.payload });
    expect(res.statusCode, res.body).toBe(201);
    const ingestRunId = res.json<{ dag_run_id: string }>().dag_run_id;
    // The file's id has one name, file_id, in the upload's answer and in the files list (fileId stays for older scripts).
    const fileId = res.json<{ file_id: string }>().file_id;
    const listed = (await get('/api/files/')).json<{ files: { file_id: string; fileId: string }[] }>().files;
    expect(listed.map((f) => [f.file_id, f.fileId])).toEqual([[fileId, fileId]]);
    expect((await waitForDagRun(t.app, 'enhanced_org_aware_ingest_dag', ingestRunId, t.adminToken)).state).toBe('success');
    const loads = (await get('/api/airflow/status/enhanced_mongo_to_postgres_dag/')).json<{ dag_runs: { dag_run_id: string; conf: Record<string, unknown> }[] }>().dag_runs;
    expect((await waitForDagRun(t.app, 'enhanced_mongo_to_postgres_dag', loads.find((r) => r.conf.upstream_run_id === ingestRunId)!.dag_run_id, t.adminToken)).state).toBe('success');
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  it('streams the table as CSV, values exact, formulas defused, and its rejected rows in row order', async () => {
    const res = await get('/api/tables/stock/export?format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="stock.csv"');
    const parsed = Papa.parse<string[]>(res.body, { skipEmptyLines: true }).data;
    expect(parsed).toEqual([
      ['sku', 'name', 'qty', 'received'],
      ['A-1', 'Widget, large', '10', '2026-01-02'],
      ['A-2', `'=HYPERLINK("x")`, '-5', '2026-01-03'],
      ['A-3', 'two\nlines', '7', '2026-01-04'],
    ]);
    expect(res.body.endsWith('\r\n')).toBe(true);

    const plain = await get('/api/tables/stock/export?format=csv&escapeFormulas=false&bom=true');
    expect(plain.body.startsWith('\uFEFFsku,name')).toBe(true);
    expect(plain.body).toContain('A-2,"=HYPERLINK(""x"")",-5');

    const rejected = await get('/api/tables/stock/export?part=rejected');
    expect(rejected.headers['content-disposition']).toBe('attachment; filename="stock__rejected.csv"');
    const rows = Papa.parse<string[]>(rejected.body, { skipEmptyLines: true }).data;
    expect(rows[0]).toEqual(['row_number', 'field', 'reason', 'run_id', 'source_id', 'rejected_at', 'raw']);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.slice(0, 3)).toEqual(['4', 'qty', '"twelve" is not an integer']);
    expect(JSON.parse(rows[1]![6]!)).toMatchObject({ sku: 'A-4', qty: 'twelve' });
  });

  it('exports a table larger than one cursor batch whole and in order', async () => {
    const lines = ['n,label'];
    for (let i = 1; i <= 4_500; i++) lines.push(`${i},row ${i}`);
    const body = multipart({ table: 'many' }, { name: 'many.csv', content: `${lines.join('\n')}\n` });
    const res = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...body.headers }, payload: body.payload });
    const ingestRunId = res.json<{ dag_run_id: string }>().dag_run_id;
    await waitForDagRun(t.app, 'enhanced_org_aware_ingest_dag', ingestRunId, t.adminToken);
    for (let i = 0; i < 100; i++) {
      const tables = (await get('/api/tables')).json<{ tables: { name: string; rowCount: number }[] }>().tables;
      if (tables.find((x) => x.name === 'many')?.rowCount === 4_500) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const parsed = Papa.parse<string[]>((await get('/api/tables/many/export')).body, { skipEmptyLines: true }).data;
    expect(parsed).toHaveLength(4_501);
    expect(parsed.slice(1).map((r) => Number(r[0]))).toEqual(Array.from({ length: 4_500 }, (_, i) => i + 1));
  });

  it('keeps quality reports for uploads and connection runs, per table', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/connections',
      headers: admin(),
      payload: { id: 'quality-users', name: 'Users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'quality_users', writeMode: 'upsert', primaryKey: ['id'] } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const run = (await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'quality-users' } })).json<{ run: RunView }>().run;
    expect(run.state).toBe('success');

    const fromApi = (await get('/api/tables/quality_users/quality')).json<{ table: string; days: number; reports: { runId: string; metrics: { rows: number; loaded: number; rejected: number; duplicateKeys: number | null; nullRate: Record<string, number> } }[] }>();
    expect(fromApi).toMatchObject({ table: 'quality_users', days: 7 });
    expect(fromApi.reports).toHaveLength(1);
    expect(fromApi.reports[0]).toMatchObject({ runId: run.runId, metrics: { rows: 23, loaded: 23, rejected: 0, duplicateKeys: 0 } });
    expect(Object.keys(fromApi.reports[0]!.metrics.nullRate)).toContain('email');

    const fromUpload = (await get('/api/tables/stock/quality?days=30')).json<{ reports: { metrics: { loaded: number; rejected: number } }[] }>().reports;
    expect(fromUpload.map((r) => r.metrics)).toMatchObject([{ loaded: 3, rejected: 1 }]);
  });

  it('answers another organisation, an unknown table and a bad query with 4xx', async () => {
    expect((await get('/api/tables/stock/export', other.token)).statusCode).toBe(404);
    expect((await get('/api/tables/stock/quality', other.token)).statusCode).toBe(404);
    expect((await get('/api/tables/nope/export')).statusCode).toBe(404);
    expect((await get('/api/tables/nope/quality')).statusCode).toBe(404);
    const bad = await get('/api/tables/stock/export?format=xlsx');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { code: string; message: string } }>().error.message).toContain('format');
    expect((await get('/api/tables/stock/export?part=everything')).statusCode).toBe(400);
  });
});
