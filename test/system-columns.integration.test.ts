import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LogView, RunView } from '../src/engine/index.js';
import { bearer, createTestApp, waitForDagRun, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { multipart } from './helpers/multipart.js';

/**
 * Fields named like PostgreSQL's system columns (ctid, oid, xmin, xmax,
 * cmin, cmax, tableoid) are input like any other: a file header or an API
 * field of that name loads into a renamed column with a note in the run's
 * log, and a mapping that names such a column is refused when it is saved.
 * (They used to fail the load as `internal`, retried three times.)
 */
describeEachDatabase('fields named like system columns', (fixture) => {
  let t: TestApp;
  let source: Server;
  let sourceUrl: string;
  const admin = () => bearer(t.adminToken);
  const logsOf = async (runId: string) => (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}/logs`, headers: admin() })).json<{ logs: LogView[] }>().logs;

  beforeAll(async () => {
    t = await createTestApp(fixture);
    t.services.engine.start();
    // A source API whose records use the names (the outside world, on loopback).
    source = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([{ id: 1, ctid: 'a', xmin: 3, TableOid: true }, { id: 2, ctid: 'b', xmin: 4, TableOid: false }]));
    });
    await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
    sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => source.close(resolve));
  });

  it('loads a file whose header names system columns into renamed columns, and says so in the log', async () => {
    const body = multipart({ table: 'sys_upload' }, { name: 'sys.csv', content: 'ctid,OID,xmin,xmax,cmin,cmax,tableoid,name\n1,2,3,4,5,6,7,first\n8,9,10,11,12,13,14,second\n' });
    const res = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...body.headers }, payload: body.payload });
    expect(res.statusCode, res.body).toBe(201);
    const ingestRunId = res.json<{ dag_run_id: string }>().dag_run_id;
    const ingest = await waitForDagRun(t.app, 'enhanced_org_aware_ingest_dag', ingestRunId, t.adminToken);
    expect(ingest.state, JSON.stringify(ingest.tasks)).toBe('success');
    const loads = (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_mongo_to_postgres_dag/', headers: admin() })).json<{ dag_runs: { dag_run_id: string; conf: Record<string, unknown> }[] }>().dag_runs;
    const load = await waitForDagRun(t.app, 'enhanced_mongo_to_postgres_dag', loads.find((r) => r.conf.upstream_run_id === ingestRunId)!.dag_run_id, t.adminToken);
    expect(load.state, JSON.stringify(load.tasks)).toBe('success');
    expect(load.tasks.find((x) => x.task_id === 'load_to_postgres')).toMatchObject({ rows_out: 2, rows_rejected: 0 });

    const tables = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: admin() })).json<{ tables: { name: string; columns: { name: string }[] }[] }>().tables;
    expect(tables.find((x) => x.name === 'sys_upload')!.columns.map((c) => c.name)).toEqual(['ctid_', 'oid_', 'xmin_', 'xmax_', 'cmin_', 'cmax_', 'tableoid_', 'name']);
    const rows = (await t.app.inject({ method: 'GET', url: '/api/tables/sys_upload/rows?orderBy=ctid_', headers: admin() })).json<{ rows: Record<string, unknown>[] }>().rows;
    expect(rows.map((r) => [r.ctid_, r.oid_, r.tableoid_, r.name])).toEqual([
      [1, 2, 7, 'first'],
      [8, 9, 14, 'second'],
    ]);
    const notes = (await logsOf(ingestRunId)).filter((l) => l.level === 'warn').map((l) => l.message);
    expect(notes, JSON.stringify(notes)).toContain('field "ctid" is loaded into column "ctid_": "ctid" is the name of a PostgreSQL system column, which no table may have');
    expect(notes).toContain('field "OID" is loaded into column "oid_": "oid" is the name of a PostgreSQL system column, which no table may have');
  });

  it('loads an API whose records have such fields (no mappings) into renamed columns, with a note', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/connections', headers: admin(), payload: { id: 'sys-api', name: 'Sys', apiConfig: { baseUrl: sourceUrl }, destination: { table: 'sys_api' } } });
    expect(created.statusCode, created.body).toBe(201);
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'sys-api' } });
    const run = res.json<{ run: RunView }>().run;
    expect(run.state, JSON.stringify(run.tasks)).toBe('success');
    expect(run.tasks.find((x) => x.taskId === 'load')).toMatchObject({ rowsOut: 2, rowsRejected: 0 });
    const tables = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: admin() })).json<{ tables: { name: string; columns: { name: string }[] }[] }>().tables;
    expect(tables.find((x) => x.name === 'sys_api')!.columns.map((c) => c.name).sort()).toEqual(['ctid_', 'id', 'tableoid_', 'xmin_']);
    const notes = (await logsOf(run.runId)).filter((l) => l.taskId === 'load' && l.level === 'warn').map((l) => l.message);
    expect(notes).toEqual([
      'field "ctid" is loaded into column "ctid_": "ctid" is the name of a PostgreSQL system column, which no table may have',
      'field "xmin" is loaded into column "xmin_": "xmin" is the name of a PostgreSQL system column, which no table may have',
      'field "TableOid" is loaded into column "tableoid_": "tableoid" is the name of a PostgreSQL system column, which no table may have',
    ]);
  });

  it('refuses a mapping or a primary key naming a system column when it is saved, naming the field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/connections',
      headers: admin(),
      payload: { name: 'Bad', apiConfig: { baseUrl: sourceUrl }, fieldMappings: [{ source: '$.id', target: 'id' }, { source: '$.ctid', target: 'ctid' }], destination: { table: 'sys_bad' } },
    });
    expect(res.statusCode).toBe(422);
    const error = res.json<{ error: { code: string; message: string } }>().error;
    expect(error.code, error.message).toBe('invalid_config');
    expect(error.message).toContain('fieldMappings.1.target');
    expect(error.message).toContain('"ctid" is the name of a PostgreSQL system column');

    const body = multipart({ table: 'sys_pk', primary_key: 'xmin', write_mode: 'upsert' }, { name: 'pk.csv', content: 'xmin,name\n1,a\n' });
    const upload = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...body.headers }, payload: body.payload });
    expect(upload.statusCode).toBe(422);
    expect(upload.json<{ error: { message: string } }>().error.message).toContain('xmin_');
  });
});
