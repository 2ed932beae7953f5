import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dagFileName } from '../src/orchestrators/airflow/dag-files.js';
import { AirflowClient, AirflowOrchestrator, BuiltinOrchestrator } from '../src/orchestrators/index.js';
import { silentLogger } from '../src/logger.js';
import { waitFor } from './helpers/airflow.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
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

describeEachDatabase(
  "Airflow's schedules while Airflow is down",
  (fixture) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(fixture);
    });
    afterAll(async () => {
      await t.close();
    });

    it('hand over to the builtin engine once Airflow has been unreachable for the grace period, from when it was last seen healthy, and back when it answers again', async () => {
      const airflow = await startFakeAirflow({ username: 'sluice', password: 'secret' });
      const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(airflow.url).port) });
      const orchestrator = (fallback: 'builtin' | 'fail') =>
        new AirflowOrchestrator({
          client: new AirflowClient({ apiUrl: proxy.url, username: 'sluice', password: 'secret', uiUrl: undefined, logger: silentLogger() }),
          dagsFolder: undefined,
          engine: t.services.engine,
          builtin: new BuiltinOrchestrator(t.services.engine),
          fallback,
          logger: silentLogger(),
          scheduleGraceMs: 1000,
          watchIntervalMs: 100,
          healthCacheMs: 100,
        });
      const builtin = orchestrator('builtin');
      const fail = orchestrator('fail');
      try {
        const startedAt = Date.now();
        builtin.start();
        fail.start();
        // Healthy: Airflow fires its own schedules.
        await waitFor('a healthy answer', async () => ((await builtin.health()).ok ? true : undefined), 10_000, 100);
        await new Promise((r) => setTimeout(r, 300));
        expect(builtin.schedulesFallback()).toBeUndefined();
        proxy.setUp(false);
        const downAt = Date.now();
        const fallback = await waitFor('the hand-over', async () => builtin.schedulesFallback(), 15_000, 100);
        // Not before the grace period, and covering fire times from a little before Airflow was last seen healthy.
        expect(Date.now() - downAt).toBeGreaterThanOrEqual(1000);
        expect(fallback.since.getTime()).toBeGreaterThanOrEqual(startedAt - 60_000);
        expect(fallback.since.getTime()).toBeLessThanOrEqual(downAt - 60_000 + 1);
        expect(fallback.note).toContain(`Airflow at ${proxy.url} was unreachable or unhealthy`);
        expect(fallback.note).toContain('SLUICE_AIRFLOW_FALLBACK=builtin');
        // SLUICE_AIRFLOW_FALLBACK=fail never hands its schedules over.
        expect(fail.schedulesFallback()).toBeUndefined();
        proxy.setUp(true);
        await waitFor('Airflow to fire its schedules again', async () => (builtin.schedulesFallback() === undefined ? true : undefined), 15_000, 100);
      } finally {
        await builtin.stop();
        await fail.stop();
        await proxy.close();
        await airflow.close();
      }
    }, 60_000);
  },
  { kinds: ['pglite'] },
);
