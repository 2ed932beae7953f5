import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dagFileName } from '../src/orchestrators/airflow/dag-files.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { startFakeAirflow, type FakeAirflow } from './helpers/fake-airflow.js';

/**
 * The airflow orchestrator's decisions that a real Airflow cannot be made to
 * show on demand, against the fake Airflow API (the live ones are in
 * test/airflow.e2e.test.ts).
 */
describeEachDatabase('airflow orchestrator against a fake Airflow', (fixture) => {
  let t: TestApp;
  let airflow: FakeAirflow;
  const dags = mkdtempSync(path.join(os.tmpdir(), 'sluice-fake-dags-'));

  beforeAll(async () => {
    airflow = await startFakeAirflow({ username: 'sluice', password: 'secret' });
    t = await createTestApp(fixture, { AIRFLOW_API_URL: airflow.url, AIRFLOW_USERNAME: 'sluice', AIRFLOW_PASSWORD: 'secret', AIRFLOW_DAGS_FOLDER: dags });
  });
  afterAll(async () => {
    await t.close();
    await airflow.close();
  });

  it('refuses to run a connection whose schedule is paused before Airflow parsed its DAG, leaving the file paused', async () => {
    const connectionId = 'paused-before-parse';
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/scheduler',
      headers: bearer(t.adminToken),
      payload: { connectionId, cronExpression: '0 9 * * *', paused: true, workflowConfig: { apiConfig: { baseUrl: 'https://api.example.com/users' } } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const file = path.join(dags, dagFileName(`etl_workflow_${connectionId}`));
    expect(readFileSync(file, 'utf8')).toContain('\\"paused\\":true');
    // The fake Airflow never parses the file: a trigger finds no DAG there.
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(t.adminToken), payload: { connectionId } });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json<{ error: { message: string } }>().error.message).toMatch(/schedule of etl_workflow_paused-before-parse is paused/);
    expect(readFileSync(file, 'utf8')).toContain('\\"paused\\":true');
    expect(airflow.runs).toHaveLength(0);
  });
});
