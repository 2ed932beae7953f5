import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, PostgresDatabase, type Database } from '../src/db/index.js';
import type { RunView } from '../src/engine/index.js';
import { AirflowOrchestrator } from '../src/orchestrators/index.js';
import { orchestratorConformance, type OrchestratorFixture } from '../src/orchestrators/orchestrator.conformance.js';
import { dagFileName } from '../src/orchestrators/airflow/dag-files.js';
import type { DagRun, Schedule } from '../src/runs/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { AIRFLOW_TEST, waitFor } from './helpers/airflow.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { createServerDatabase, TEST_DATABASE_URL } from './helpers/databases.js';
import { inventoryCsv } from './helpers/inventory.js';
import { multipart } from './helpers/multipart.js';
import { runSluice } from './helpers/cli.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

/**
 * Sluice with a real Airflow 3.3 as its orchestrator (.ci/airflow/setup.sh):
 * schedules become DAG files Airflow imports, triggers become Airflow runs
 * whose tasks call this Sluice back, the ingest → load chain runs as two
 * Airflow DAG runs, and an unreachable Airflow falls back as configured.
 */
const settings = AIRFLOW_TEST;
const unique = Date.now().toString(36);

describe.runIf(settings && TEST_DATABASE_URL)('Sluice on a real Airflow', () => {
  let server: { url: string; drop: () => Promise<void> };
  let db: Database;
  let t: TestApp;
  let api: FakeApi;
  let airflow: AirflowOrchestrator;
  const admin = () => bearer(t.adminToken);
  const dagIds: string[] = [];

  const runOf = async (runId: string, timeoutMs = 120_000): Promise<RunView> =>
    waitFor(
      `run ${runId} to end`,
      async () => {
        const run = (await t.app.inject({ method: 'GET', url: `/api/runs/${encodeURIComponent(runId)}`, headers: admin() })).json<RunView>();
        return ['success', 'failed', 'cancelled'].includes(run.state) ? run : undefined;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    const s = settings!;
    server = await createServerDatabase();
    db = new PostgresDatabase({ url: server.url, poolMax: 10 });
    await migrate(db);
    api = await startFakeApi();
    t = await createTestApp(
      { db, url: server.url },
      {
        AIRFLOW_API_URL: s.apiUrl,
        AIRFLOW_USERNAME: s.username,
        AIRFLOW_PASSWORD: s.password,
        AIRFLOW_DAGS_FOLDER: s.dagsFolder,
        SLUICE_AIRFLOW_TOKEN: s.sluiceApiToken!,
        SLUICE_AIRFLOW_FALLBACK: 'fail',
      },
    );
    // Airflow's tasks call Sluice at SLUICE_API_URL: this app listens there.
    const url = new URL(s.sluiceApiUrl!);
    await t.app.listen({ host: url.hostname, port: Number(url.port) });
    t.services.engine.start();
    airflow = t.services.orchestrator as AirflowOrchestrator;
    airflow.start();
  }, 60_000);

  afterAll(async () => {
    for (const dagId of dagIds) {
      rmSync(path.join(settings!.dagsFolder, dagFileName(dagId)), { force: true });
      await airflow?.client.deleteDag(dagId).catch(() => undefined);
    }
    await airflow?.stop();
    await t?.close();
    await api?.close();
    await db?.close();
    await server?.drop();
  }, 60_000);

  describe('orchestrator conformance: airflow', () => {
    const connectionId = `af-conf-${unique}`;
    let fixture: OrchestratorFixture;
    beforeAll(async () => {
      dagIds.push(`etl_workflow_${connectionId}`);
      await t.services.orgs.create({ id: `af-other-${unique}` });
      await t.services.connections.create('default', { id: connectionId, name: 'Users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'af_conformance' } }, { type: 'system', id: 'test' });
      fixture = { orchestrator: airflow, services: t.services, orgId: 'default', otherOrgId: `af-other-${unique}`, connectionId, table: 'af_conformance', runTimeoutMs: 180_000 };
    });
    orchestratorConformance(() => fixture, { testTimeoutMs: 240_000 });
  });

  it('answers health and orchestrator "airflow"', async () => {
    expect(airflow).toBeInstanceOf(AirflowOrchestrator);
    const health = (await t.app.inject({ method: 'GET', url: '/api/health' })).json<{ status: string; orchestrator: { kind: string; ok: boolean } }>();
    expect(health).toMatchObject({ status: 'ok', orchestrator: { kind: 'airflow', ok: true } });
  });

  it('turns a schedule into a DAG Airflow imports, and pauses and resumes it there', async () => {
    const connectionId = `af-sched-${unique}`;
    const dagId = `etl_workflow_${connectionId}`;
    dagIds.push(dagId);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/scheduler',
      headers: admin(),
      payload: { connectionId, scheduleType: 'daily', cronExpression: '0 9 * * *', timezone: 'Europe/Berlin', workflowConfig: { connectionId, apiConfig: { baseUrl: `${api.url}/users` } } },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<Schedule>()).toMatchObject({ orchestrator: 'airflow', dagId });
    const dag = await waitFor('Airflow to import the DAG', () => airflow.client.findDag(dagId), 90_000);
    expect(dag.hasImportErrors).toBeFalsy();
    expect(await airflow.client.importErrors({ filenameContains: dagFileName(dagId) })).toEqual([]);

    const scheduleId = res.json<Schedule>().scheduleId;
    await t.app.inject({ method: 'PATCH', url: `/api/scheduler/${scheduleId}`, headers: admin(), payload: { paused: true } });
    expect((await airflow.client.getDag(dagId)).isPaused).toBe(true);
    await t.app.inject({ method: 'PATCH', url: `/api/scheduler/${scheduleId}`, headers: admin(), payload: { paused: false } });
    expect((await airflow.client.getDag(dagId)).isPaused).toBe(false);
  }, 120_000);

  it('runs a trigger through Airflow: its tasks call Sluice back and the rows land', async () => {
    const connectionId = `af-run-${unique}`;
    const dagId = `etl_workflow_${connectionId}`;
    dagIds.push(dagId);
    await t.app.inject({ method: 'POST', url: '/api/connections', headers: admin(), payload: { id: connectionId, name: 'Users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'af_users' } } });
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: admin(), payload: { connectionId } });
    expect(res.statusCode, res.body).toBe(202);
    const { runId } = res.json<{ runId: string }>();
    const run = await runOf(runId, 180_000);
    expect(run.state, JSON.stringify(run.tasks)).toBe('success');
    expect(run.orchestrator).toBe('airflow');
    expect((run as RunView & { externalUrl?: string }).externalUrl).toBe(`${settings!.apiUrl}/dags/${dagId}/runs/${encodeURIComponent(runId)}`);
    expect(run.tasks.map((x) => [x.taskId, x.state])).toEqual([
      ['extract', 'success'],
      ['load', 'success'],
      ['health_check', 'success'],
      ['send_notification', 'success'],
    ]);
    await waitFor('Airflow to end the run', async () => ((await airflow.client.getRun(dagId, runId)).state === 'success' ? true : undefined), 60_000);
    const rows = await t.app.inject({ method: 'GET', url: '/api/tables/af_users/rows?limit=1', headers: admin() });
    expect(rows.json<{ total: number }>().total).toBe(23);
  }, 200_000);

  it('runs the ingest → load → forecast chain of an inventory upload as three Airflow DAG runs', async () => {
    dagIds.push('enhanced_org_aware_ingest_dag', 'enhanced_mongo_to_postgres_dag', 'forecast_inventory_dag');
    const sync = await airflow.sync();
    expect(sync.importErrors).toEqual([]);
    // forecast_inventory_dag is written with the other two, and Airflow parses it into the builtin engine's tasks.
    expect(sync.written.map((w) => w.dagId)).toContain('forecast_inventory_dag');
    const shards = t.services.engine.registry.get('forecast_inventory_dag')!.tasks.filter((x) => x.id.startsWith('forecast_shard_')).map((x) => x.id);
    expect(shards.length).toBeGreaterThan(1);
    const forecastTasks = await waitFor('Airflow to parse forecast_inventory_dag', async () => ((await airflow.client.findDag('forecast_inventory_dag')) ? airflow.client.dagTasks('forecast_inventory_dag') : undefined), 90_000);
    expect(Object.fromEntries(forecastTasks.map((x) => [x.taskId, x.downstream]))).toEqual({
      prepare: [...shards].sort(),
      ...Object.fromEntries(shards.map((id) => [id, ['publish']])),
      publish: ['notify'],
      notify: [],
    });
    expect(await airflow.client.importErrors({ filenameContains: 'forecast_inventory_dag' })).toEqual([]);
    // Two items' sales and stock for 30 days, and a row whose quantity is no number.
    const csv = `${inventoryCsv([{ sku: 'LOW', demand: () => 10, onHand: 12 }, { sku: 'HIGH', demand: () => 10, onHand: 900 }], 30, '2025-01-01')}2025-01-05,C,x,\n`;
    const body = multipart({ table: 'af_stock', inventory: 'true' }, { name: 'stock.csv', content: csv });
    const up = await t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...admin(), ...body.headers }, payload: body.payload });
    expect(up.statusCode, up.body).toBe(201);
    const ingest = await runOf(up.json<{ dag_run_id: string }>().dag_run_id, 180_000);
    expect(ingest.state, JSON.stringify(ingest.tasks)).toBe('success');
    expect(ingest.orchestrator).toBe('airflow');
    const loadRunId = `${ingest.runId}__enhanced_mongo_to_postgres_dag`;
    const loadInAirflow = await waitFor('the load run in Airflow', () => airflow.client.getRun('enhanced_mongo_to_postgres_dag', loadRunId).catch(() => undefined), 60_000);
    expect(loadInAirflow.conf).toMatchObject({ table: 'af_stock', org_id: 'default' });
    const load = await runOf(loadRunId, 180_000);
    expect(load.state, JSON.stringify(load.tasks)).toBe('success');
    expect(load.trigger).toBe('upstream');
    const status = (await t.app.inject({ method: 'GET', url: '/api/airflow/pipeline-status/', headers: admin() })).json<{ orchestrator: string; tables: { table: string; row_count: number; rejected_count: number; last_ingest: DagRun; last_load: DagRun }[] }>();
    const table = status.tables.find((x) => x.table === 'af_stock')!;
    expect(status.orchestrator).toBe('airflow');
    expect(table).toMatchObject({ row_count: 60, rejected_count: 1 });
    expect(table.last_ingest.state).toBe('success');
    expect(table.last_load.dag_run_id).toBe(loadRunId);

    // The load's trigger_forecast started forecast_inventory_dag in Airflow; its tasks ran in Sluice and published the plan.
    const forecastRunId = `${loadRunId}__forecast_inventory_dag`;
    expect(load.tasks.find((x) => x.taskId === 'trigger_forecast')!.output).toMatchObject({ triggered: true, dag_run_id: forecastRunId });
    const forecastInAirflow = await waitFor('the forecast run in Airflow', () => airflow.client.getRun('forecast_inventory_dag', forecastRunId).catch(() => undefined), 60_000);
    expect(forecastInAirflow.conf).toMatchObject({ client_id: 'default', table: 'af_stock', triggered_by: 'enhanced_mongo_to_postgres_dag' });
    const forecast = await runOf(forecastRunId, 240_000);
    expect(forecast.state, JSON.stringify(forecast.tasks.map((x) => [x.taskId, x.state, x.error]))).toBe('success');
    expect(forecast.orchestrator).toBe('airflow');
    await waitFor('Airflow to end the forecast run', async () => ((await airflow.client.getRun('forecast_inventory_dag', forecastRunId)).state === 'success' ? true : undefined), 60_000);
    const plan = (await t.app.inject({ method: 'GET', url: '/api/forecasts/af_stock/items', headers: admin() })).json<{ runId: string; items: { sku: string; status: string }[] }>();
    expect(plan.runId).toBe(forecastRunId);
    expect(Object.fromEntries(plan.items.map((i) => [i.sku, i.status]))).toEqual({ LOW: 'reorder_now', HIGH: 'overstock' });
  }, 600_000);

  it('writes the DAG files and reports Airflow from the command line', async () => {
    const s = settings!;
    const env = {
      DATABASE_URL: server.url,
      SLUICE_SECRET_KEY: 'test secret key of at least thirty-two characters',
      AIRFLOW_API_URL: s.apiUrl,
      AIRFLOW_USERNAME: s.username,
      AIRFLOW_PASSWORD: s.password,
      AIRFLOW_DAGS_FOLDER: s.dagsFolder,
    };
    const cwd = path.dirname(s.dagsFolder);
    const sync = await runSluice(['airflow', 'sync'], { cwd, env, timeoutMs: 60_000 });
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/(created|updated|unchanged)\s+enhanced_org_aware_ingest_dag/);
    expect(sync.stdout).toContain('no import errors');
    const status = await runSluice(['airflow', 'status'], { cwd, env, timeoutMs: 60_000 });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Airflow 3\.3\.\d+ \(v2\) at .*: healthy/);
    expect(status.stdout).toMatch(/enhanced_mongo_to_postgres_dag\s+active/);
    const unconfigured = await runSluice(['airflow', 'status'], { cwd, env: { DATABASE_URL: server.url }, timeoutMs: 60_000 });
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toContain('Airflow is not configured');
  }, 120_000);

  it('falls back to the builtin engine, or fails clearly, when Airflow cannot be reached', async () => {
    for (const fallback of ['builtin', 'fail'] as const) {
      // A second Sluice on the same database, configured with an Airflow nobody listens for (the admin's token works for both).
      const app = await createTestApp({ db, url: server.url }, { AIRFLOW_API_URL: 'http://127.0.0.1:9', AIRFLOW_USERNAME: 'x', AIRFLOW_PASSWORD: 'y', SLUICE_AIRFLOW_FALLBACK: fallback });
      const token = t.adminToken;
      try {
        app.services.engine.start();
        const connectionId = `af-down-${fallback}-${unique}`;
        await app.app.inject({ method: 'POST', url: '/api/connections', headers: bearer(token), payload: { id: connectionId, name: 'Users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: `down_${fallback}` } } });
        const health = (await app.app.inject({ method: 'GET', url: '/api/health' })).json<{ status: string; orchestrator: { ok: boolean; detail: string } }>();
        expect(health).toMatchObject({ status: 'degraded', orchestrator: { ok: false } });
        const res = await app.app.inject({ method: 'POST', url: '/api/execute-run?wait=true&timeoutSeconds=60', headers: bearer(token), payload: { connectionId } });
        if (fallback === 'builtin') {
          expect(res.statusCode, res.body).toBe(200);
          expect(res.json<{ run: RunView }>().run).toMatchObject({ state: 'success', orchestrator: 'builtin' });
          expect(res.json<{ run: RunView }>().run.error).toMatch(/Airflow could not take the run/);
        } else {
          expect(res.statusCode).toBe(503);
          expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'airflow_unreachable', message: expect.stringContaining('127.0.0.1:9') });
        }
      } finally {
        await app.close();
      }
    }
  }, 120_000);

  it("fires a schedule Airflow owns on the builtin engine while Airflow is down, once; Airflow, back, skips that fire time", async () => {
    const s = settings!;
    const real = new URL(s.apiUrl);
    // This Sluice reaches Airflow through a proxy the test takes down (the shared Airflow itself keeps running for the other tests).
    const proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port) }, { up: false });
    // A DAGs folder Airflow does not scan: while it is down, Airflow knows nothing of the schedule.
    const unseen = mkdtempSync(path.join(os.tmpdir(), 'sluice-unseen-dags-'));
    const fb = await createTestApp(
      { db, url: server.url },
      { AIRFLOW_API_URL: proxy.url, AIRFLOW_USERNAME: s.username, AIRFLOW_PASSWORD: s.password, AIRFLOW_DAGS_FOLDER: unseen, SLUICE_AIRFLOW_FALLBACK: 'builtin', SLUICE_AIRFLOW_SCHEDULE_GRACE_SECONDS: '1' },
    );
    const fbAirflow = fb.services.orchestrator as AirflowOrchestrator;
    const connectionId = `af-fallback-${unique}`;
    const dagId = `etl_workflow_${connectionId}`;
    dagIds.push(dagId);
    try {
      fb.services.engine.start();
      fbAirflow.start();
      // Daily at the coming minute (UTC): due within a minute, and Airflow's latest fire time for a day after.
      const fireAt = new Date(Math.ceil((Date.now() + 10_000) / 60_000) * 60_000);
      const created = await fb.app.inject({
        method: 'POST',
        url: '/api/scheduler',
        headers: admin(),
        payload: { connectionId, cronExpression: `${fireAt.getUTCMinutes()} ${fireAt.getUTCHours()} * * *`, timezone: 'UTC', workflowConfig: { connectionId, apiConfig: { baseUrl: `${api.url}/users` } } },
      });
      expect(created.statusCode, created.body).toBe(201);
      const schedule = created.json<Schedule>();
      expect(schedule.orchestrator).toBe('airflow');

      // Airflow unreachable for longer than the grace period: the builtin engine fires the schedule, once, and says why.
      const fellBack = await waitFor('the fallback run', async () => (await t.services.engine.runs.list('default', { dagId }))[0], 120_000);
      const ran = await runOf(fellBack.runId, 120_000);
      expect(ran, JSON.stringify(ran.tasks)).toMatchObject({
        state: 'success',
        orchestrator: 'builtin',
        trigger: 'schedule',
        scheduleId: schedule.scheduleId,
        fireAt: fireAt.toISOString(),
        conf: { fallback_from: 'airflow' },
      });
      expect(ran.error).toMatch(/Airflow at .* was unreachable or unhealthy .*SLUICE_AIRFLOW_FALLBACK=builtin/);

      // Airflow comes back: this Sluice sees it healthy and stops firing its schedules...
      proxy.setUp(true);
      await waitFor('Airflow to be healthy again for this Sluice', async () => (fbAirflow.schedulesFallback() === undefined ? true : undefined), 60_000);
      // ...and Airflow, getting the DAG, catches up its latest fire time (catchup=False): the one the builtin engine ran.
      await airflow.scheduleSaved(await t.services.engine.schedules.get('default', schedule.scheduleId));
      const caughtUp = await waitFor(
        "Airflow's run of that fire time to end",
        async () => (await airflow.client.listRuns(dagId, { limit: 5 }).catch(() => ({ runs: [] }))).runs.find((r) => r.state === 'success' || r.state === 'failed'),
        180_000,
        2000,
      );
      expect(caughtUp).toMatchObject({ runType: 'scheduled', state: 'success' });
      expect(new Date(caughtUp.logicalDate!).toISOString()).toBe(fireAt.toISOString());
      // Each of its tasks asked Sluice, which skipped them: the fire time had run.
      const tasks = await airflow.client.taskInstances(dagId, caughtUp.runId);
      expect(tasks.map((x) => [x.taskId, x.state]).sort()).toEqual([
        ['extract', 'skipped'],
        ['health_check', 'skipped'],
        ['load', 'skipped'],
        ['send_notification', 'skipped'],
      ]);
      const runs = await t.services.engine.runs.list('default', { dagId });
      expect(runs.map((r) => r.runId)).toEqual([fellBack.runId]);
    } finally {
      await fbAirflow.stop();
      await fb.close();
      await proxy.close();
      await airflow.client.pause(dagId).catch(() => undefined);
    }
  }, 400_000);
});
