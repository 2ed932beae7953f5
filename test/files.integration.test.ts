import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DagRun } from '../src/runs/index.js';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { multipart } from './helpers/multipart.js';

/**
 * The second seed's flow, as a new user tries it: a messy CSV uploaded
 * through the API lands as a typed table with its bad rows explained, the
 * chain of two DAG runs shows in the status endpoints, and another
 * organisation sees none of it.
 */
const MESSY = [
  '\uFEFFsku,name,qty,price,received_on',
  'A-1,"Widget, large",10,2.50,2026-01-02',
  'A-2,"Gadget ""pro""",5,10,2026-01-03',
  'A-3,"Two',
  'lines",7,1.25,2026-01-04',
  'A-4,Broken row,1', // ragged: three fields instead of five
  'A-5,Spare,,3.75,',
  'A-6,Saw,2,twelve,2026-01-05', // stray text in a number column
  'A-7,Drill,3,89.00,2026-02-30', // an impossible date
  'A-8,Level,4,15,2026-01-06',
  '',
].join('\r\n');

describeEachDatabase('file upload and the org-aware pipelines', (fixture) => {
  let t: TestApp;
  let other: { token: string };
  const admin = () => bearer(t.adminToken);

  const upload = (fields: Record<string, string>, content: string | Buffer, token = t.adminToken, name = 'stock.csv') => {
    const body = multipart(fields, { name, content });
    return t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...bearer(token), ...body.headers }, payload: body.payload });
  };
  const runOf = (dagId: string, runId: string, token = t.adminToken): Promise<DagRun> => waitForDagRun(t.app, dagId, runId, token);
  /** Waits for an ingest run and the load run it triggered. */
  const chain = async (ingestRunId: string) => {
    const ingest = await runOf('enhanced_org_aware_ingest_dag', ingestRunId);
    expect(ingest.state, JSON.stringify(ingest.tasks)).toBe('success');
    const loadRunId = ingest.tasks.find((x) => x.task_id === 'trigger_load')!;
    expect(loadRunId.state).toBe('success');
    const loads = (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_mongo_to_postgres_dag/', headers: admin() })).json<{ dag_runs: DagRun[] }>().dag_runs;
    const load = loads.find((r) => r.conf.upstream_run_id === ingestRunId)!;
    expect(load).toBeDefined();
    expect(load.trigger).toBe('upstream');
    return { ingest, load: await runOf('enhanced_mongo_to_postgres_dag', load.dag_run_id) };
  };

  beforeAll(async () => {
    t = await createTestApp(fixture, { SLUICE_MAX_UPLOAD_MB: '1' });
    t.services.engine.start();
    other = await t.orgWithUser('files-other', 'editor');
  });
  afterAll(async () => {
    await t.close();
  });

  it('lands a messy CSV as a typed table with its bad rows explained', async () => {
    const res = await upload({ table: 'stock', primary_key: 'sku', write_mode: 'upsert' }, MESSY);
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json<{ file_id: string; dag_id: string; dag_run_id: string; duplicate: boolean }>();
    expect(body).toMatchObject({ dag_id: 'enhanced_org_aware_ingest_dag', duplicate: false });
    const ingestConf = (await t.app.inject({ method: 'GET', url: `/api/runs/${body.dag_run_id}`, headers: admin() })).json<{ conf: Record<string, unknown> }>().conf;
    expect(ingestConf).toMatchObject({ org_id: 'default', table: 'stock', file_id: body.file_id, triggered_by: 'file_upload' });
    expect(typeof ingestConf.user_id).toBe('string');

    const { ingest, load } = await chain(body.dag_run_id);
    expect(ingest.tasks.find((x) => x.task_id === 'land_raw')).toMatchObject({ rows_in: 8, rows_out: 7, rows_rejected: 1 });
    expect(load.state, JSON.stringify(load.tasks)).toBe('success');
    expect(load.tasks.find((x) => x.task_id === 'load_to_postgres')).toMatchObject({ rows_in: 8, rows_out: 5, rows_rejected: 3 });

    const tables = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: admin() })).json<{ tables: { name: string; columns: { name: string; type: string }[]; rowCount: number; rejectedCount: number }[] }>().tables;
    const stock = tables.find((x) => x.name === 'stock')!;
    expect(stock).toMatchObject({ rowCount: 5, rejectedCount: 3 });
    expect(Object.fromEntries(stock.columns.map((c) => [c.name, c.type]))).toEqual({ sku: 'string', name: 'string', qty: 'integer', price: 'number', received_on: 'date' });
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/stock/rows?orderBy=sku', headers: admin() })).json<{ rows: Record<string, unknown>[] }>().rows;
    expect(rows.map((r) => [r.sku, r.name, r.qty, r.price, r.received_on])).toEqual([
      ['A-1', 'Widget, large', 10, 2.5, '2026-01-02'],
      ['A-2', 'Gadget "pro"', 5, 10, '2026-01-03'],
      ['A-3', 'Two\r\nlines', 7, 1.25, '2026-01-04'], // a line break inside quotes is kept as the file wrote it
      ['A-5', 'Spare', null, 3.75, null],
      ['A-8', 'Level', 4, 15, '2026-01-06'],
    ]);
    const rejected = (await t.app.inject({ method: 'GET', url: '/api/tables/stock/rejected?limit=10', headers: admin() })).json<{ rows: { raw: unknown; field: string | null; reason: string; rowNumber: number }[] }>().rows;
    const byRow = Object.fromEntries(rejected.map((r) => [r.rowNumber, r]));
    expect(Object.keys(byRow).map(Number).sort()).toEqual([4, 6, 7]);
    expect(byRow[4]!.raw).toContain('A-4,Broken row,1');
    expect(byRow[4]!.reason).toMatch(/field/i);
    expect(byRow[6]).toMatchObject({ field: 'price', reason: expect.stringContaining('"twelve"') });
    expect(byRow[7]).toMatchObject({ field: 'received_on', reason: expect.stringContaining('"2026-02-30"') });
    expect(byRow[6]!.raw).toMatchObject({ sku: 'A-6', price: 'twelve' });

    const file = (await t.app.inject({ method: 'GET', url: `/api/files/${body.file_id}`, headers: admin() })).json<{ status: string; format: string; rowsRead: number; rowsLoaded: number; rowsRejected: number }>();
    expect(file).toMatchObject({ status: 'loaded', format: 'csv', rowsRead: 8, rowsLoaded: 5, rowsRejected: 3 });

    const quality = load.tasks.find((x) => x.task_id === 'quality_check')!;
    expect(quality.state).toBe('success');
    const reports = await t.services.quality.list('default', { table: 'stock' });
    expect(reports[0]!.metrics).toMatchObject({ rows: 5, loaded: 5, rejected: 3, duplicateKeys: 0, primaryKey: ['sku'] });
    expect(reports[0]!.metrics.nullRate.qty).toBe(0.2);
  });

  it('never duplicates rows: not for the same file uploaded again, not for a re-triggered load', async () => {
    const again = await upload({ table: 'stock' }, MESSY);
    expect(again.statusCode).toBe(201);
    const body = again.json<{ duplicate: boolean; dag_run_id: string }>();
    expect(body.duplicate).toBe(true);
    await chain(body.dag_run_id);
    const load = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/mongo-to-postgres/', headers: admin(), payload: { org_id: 'default', table: 'stock', triggered_by: 'test' } });
    expect(load.statusCode, load.body).toBe(200);
    const triggered = load.json<{ dag_id: string; dag_run_id: string; state: string; conf: Record<string, unknown> }>();
    expect(triggered).toMatchObject({ dag_id: 'enhanced_mongo_to_postgres_dag', state: 'queued', conf: { table: 'stock', triggered_by: 'test' } });
    expect((await runOf('enhanced_mongo_to_postgres_dag', triggered.dag_run_id)).state).toBe('success');
    const ingest = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/enhanced-ingest/', headers: admin(), payload: { table: 'stock', file_id: again.json<{ file_id: string }>().file_id } });
    expect(ingest.statusCode, ingest.body).toBe(200);
    await chain(ingest.json<{ dag_run_id: string }>().dag_run_id);
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/stock/rows', headers: admin() })).json<{ total: number }>();
    expect(rows.total).toBe(5);
    const rejected = (await t.app.inject({ method: 'GET', url: '/api/tables/stock/rejected', headers: admin() })).json<{ total: number }>();
    expect(rejected.total).toBe(3);
  });

  it('adds a second file to the table, widening a column that needs it', async () => {
    const res = await upload({ table: 'stock' }, 'sku,name,qty,price,received_on\nB-1,Bolt,2.5,0.10,2026-02-01\n', t.adminToken, 'more.csv');
    const { ingest, load } = await chain(res.json<{ dag_run_id: string }>().dag_run_id);
    expect(ingest.state).toBe('success');
    expect(load.state).toBe('success');
    const stock = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: admin() })).json<{ tables: { name: string; rowCount: number; columns: { name: string; type: string }[] }[] }>().tables.find((x) => x.name === 'stock')!;
    expect(stock.rowCount).toBe(6);
    expect(stock.columns.find((c) => c.name === 'qty')!.type).toBe('number');
  });

  it('shows the chain in the pipeline status of the organisation, and nothing of it to another', async () => {
    const status = (await t.app.inject({ method: 'GET', url: '/api/airflow/pipeline-status/', headers: admin() })).json<{ orchestrator: string; tables: { table: string; row_count: number; last_ingest: DagRun | null; last_load: DagRun | null; last_forecast: DagRun | null; files: { total: number; loaded: number }; freshness_seconds: number }[] }>();
    expect(status.orchestrator).toBe('builtin');
    const stock = status.tables.find((x) => x.table === 'stock')!;
    expect(stock.row_count).toBe(6);
    expect(stock.last_ingest?.state).toBe('success');
    expect(stock.last_load?.state).toBe('success');
    expect(stock.last_forecast).toBeNull();
    expect(stock.files).toMatchObject({ total: 2, loaded: 2 });
    expect(stock.freshness_seconds).toBeGreaterThanOrEqual(0);

    const as = bearer(other.token);
    const theirs = (await t.app.inject({ method: 'GET', url: '/api/airflow/pipeline-status/', headers: as })).json<{ tables: unknown[] }>();
    expect(theirs.tables).toEqual([]);
    const files = (await t.app.inject({ method: 'GET', url: '/api/files/', headers: admin() })).json<{ files: { fileId: string }[] }>().files;
    const fileId = files[0]!.fileId;
    expect((await t.app.inject({ method: 'GET', url: `/api/files/${fileId}`, headers: as })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/files/', headers: as })).json<{ files: unknown[] }>().files).toEqual([]);
    const ingest = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/enhanced-ingest/', headers: as, payload: { table: 'stock', file_id: fileId } });
    expect(ingest.statusCode).toBe(404);
    const load = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/mongo-to-postgres/', headers: as, payload: { table: 'stock' } });
    expect(load.statusCode).toBe(404);
    const runs = (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_org_aware_ingest_dag/', headers: admin() })).json<{ dag_runs: DagRun[] }>().dag_runs;
    expect(runs.length).toBeGreaterThan(0);
    expect((await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_org_aware_ingest_dag/', headers: as })).json<{ dag_runs: unknown[] }>().dag_runs).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: `/api/airflow/status/enhanced_org_aware_ingest_dag/${runs[0]!.dag_run_id}/`, headers: as })).statusCode).toBe(404);
    // Naming the other organisation is refused and written to the audit trail.
    const forbidden = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/mongo-to-postgres/', headers: as, payload: { org_id: 'default', table: 'stock' } });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json<{ error: { code: string } }>().error.code).toBe('forbidden_org');
    await t.services.audit.flush();
    const events = await t.services.audit.list('files-other', { action: 'pipeline.trigger_load' });
    expect(events.some((e) => e.outcome === 'denied' && e.errorCode === 'forbidden_org')).toBe(true);
  });

  it('refuses a file past SLUICE_MAX_UPLOAD_MB with 413 and keeps nothing', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/files/', headers: admin() })).json<{ files: unknown[] }>().files.length;
    const big = Buffer.alloc(1024 * 1024 + 10, 'a');
    const res = await upload({ table: 'big' }, big);
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'payload_too_large' });
    expect(res.json<{ error: { message: string } }>().error.message).toContain('SLUICE_MAX_UPLOAD_MB');
    expect((await t.app.inject({ method: 'GET', url: '/api/files/', headers: admin() })).json<{ files: unknown[] }>().files).toHaveLength(before);
    expect(readdirSync(path.join(t.services.config.uploads.dir, 'tmp'))).toEqual([]);
  });

  it('answers clear errors for a missing table, a bad table name, no file, JSON instead of a form, and the forecast', async () => {
    const noTable = await upload({}, 'a,b\n1,2\n');
    expect(noTable.statusCode).toBe(422);
    expect(noTable.json<{ error: { message: string } }>().error.message).toMatch(/^table: required/);
    const badName = await upload({ table: 'Bad Name!' }, 'a,b\n1,2\n');
    expect(badName.statusCode).toBe(422);
    expect(badName.json<{ error: { message: string } }>().error.message).toMatch(/^table: /);
    const noFileBody = multipart({ table: 'x' });
    const noFile = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...noFileBody.headers }, payload: noFileBody.payload });
    expect(noFile.statusCode).toBe(422);
    expect(noFile.json<{ error: { message: string } }>().error.message).toMatch(/^file: required/);
    const json = await t.app.inject({ method: 'POST', url: '/api/files/', headers: admin(), payload: { table: 'x' } });
    expect(json.statusCode).toBe(415);
    const upsertNoKey = await upload({ table: 'x', write_mode: 'upsert' }, 'a\n1\n');
    expect(upsertNoKey.statusCode).toBe(422);
    expect(upsertNoKey.json<{ error: { message: string } }>().error.message).toContain('primary_key');
    const forecast = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/forecast-inventory/', headers: admin(), payload: { client_id: 'default' } });
    // No table of the organisation has its forecast on.
    expect(forecast.statusCode).toBe(409);
    expect(forecast.json<{ error: { code: string } }>().error.code).toBe('forecast_not_enabled');
    const unknownFile = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/enhanced-ingest/', headers: admin(), payload: { table: 'stock', file_id: 'file_nope' } });
    expect(unknownFile.statusCode).toBe(404);
    const unknownTable = await t.app.inject({ method: 'POST', url: '/api/airflow/trigger/mongo-to-postgres/', headers: admin(), payload: { table: 'never_seen' } });
    expect(unknownTable.statusCode).toBe(404);
  });

  it('lets a viewer read the status but not upload', async () => {
    const viewer = await t.userIn('default', 'viewer');
    expect((await upload({ table: 'v' }, 'a\n1\n', viewer.token)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/airflow/pipeline-status/', headers: bearer(viewer.token) })).statusCode).toBe(200);
  });
});
