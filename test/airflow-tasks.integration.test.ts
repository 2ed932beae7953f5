import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunView } from '../src/engine/index.js';
import type { AirflowTaskAttempt } from '../src/runs/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';

/**
 * The routes the generated DAG files call, driven here the way Airflow's
 * tasks drive them: start a try, poll it, go on to the next task. (The same
 * files against a real Airflow are tested in src/orchestrators/airflow.)
 */
const TOKEN = 'airflow-callback-token-of-at-least-32-chars';

describeEachDatabase('Airflow task calls', (fixture) => {
  let t: TestApp;
  let api: FakeApi;
  const airflow = { authorization: `Bearer ${TOKEN}` };

  const start = (body: Record<string, unknown>, headers: Record<string, string> = airflow) => t.app.inject({ method: 'POST', url: '/api/airflow/tasks/', headers, payload: body });
  const poll = async (dagId: string, runId: string, taskId: string, tryNumber: number): Promise<AirflowTaskAttempt> => {
    for (let i = 0; i < 200; i++) {
      const res = await t.app.inject({ method: 'GET', url: `/api/airflow/tasks/${dagId}/${encodeURIComponent(runId)}/${taskId}/${tryNumber}/`, headers: airflow });
      const attempt = res.json<AirflowTaskAttempt>();
      if (!['queued', 'running'].includes(attempt.state)) return attempt;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('attempt did not end');
  };

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fixture, { SLUICE_AIRFLOW_TOKEN: TOKEN, SLUICE_WORKER_CONCURRENCY: '0' });
    t.services.engine.start();
    const created = await t.app.inject({ method: 'POST', url: '/api/connections', headers: bearer(t.adminToken), payload: { id: 'af-users', name: 'Users', apiConfig: { baseUrl: `${api.url}/users` } } });
    expect(created.statusCode).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  it('runs a scheduled Airflow run task by task, recording it as a Sluice run of the connection', async () => {
    const runId = 'scheduled__2026-11-21T09:00:00+00:00';
    for (const taskId of ['extract', 'load', 'health_check', 'send_notification']) {
      const res = await start({ dag_id: 'etl_workflow_af-users', dag_run_id: runId, task_id: taskId, try_number: 1, conf: {} });
      expect(res.statusCode, res.body).toBe(202);
      const done = await poll('etl_workflow_af-users', runId, taskId, 1);
      expect(done, taskId).toMatchObject({ state: 'success' });
      if (taskId === 'extract') expect(done.rows_out).toBe(23);
    }
    const run = (await t.app.inject({ method: 'GET', url: `/api/runs/${encodeURIComponent(runId)}`, headers: bearer(t.adminToken) })).json<RunView>();
    expect(run).toMatchObject({ orgId: 'default', orchestrator: 'airflow', trigger: 'airflow', state: 'success', externalId: runId });
    const rows = await t.app.inject({ method: 'GET', url: '/api/tables/users/rows?limit=1', headers: bearer(t.adminToken) });
    expect(rows.json<{ total: number }>().total).toBe(23);
  });

  it('starts each try once, however often Airflow asks, and runs a later try again', async () => {
    const runId = 'manual__idempotent';
    const body = { dag_id: 'etl_workflow_af-users', dag_run_id: runId, task_id: 'extract', try_number: 1, conf: {} };
    const [a, b] = await Promise.all([start(body), start(body)]);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    await poll('etl_workflow_af-users', runId, 'extract', 1);
    expect((await start(body)).json<AirflowTaskAttempt>().state).toBe('success');
    const { rows } = await t.services.db.query('SELECT try_number FROM task_attempts WHERE run_id = $1', [runId]);
    expect(rows).toHaveLength(1);
    expect((await start({ ...body, try_number: 2 })).statusCode).toBe(202);
    expect((await poll('etl_workflow_af-users', runId, 'extract', 2)).state).toBe('success');
  });

  it('refuses calls without the Airflow token, for unknown DAGs, and for org DAGs without an org', async () => {
    const body = { dag_id: 'etl_workflow_af-users', dag_run_id: 'x', task_id: 'extract', try_number: 1 };
    expect((await start(body, {})).statusCode).toBe(401);
    expect((await start(body, { authorization: 'Bearer wrong-token-wrong-token-wrong-token' })).statusCode).toBe(401);
    expect((await start(body, bearer(t.adminToken))).statusCode).toBe(401);
    expect((await start({ ...body, dag_id: 'no_such_dag' })).statusCode).toBe(404);
    expect((await start({ ...body, dag_id: 'etl_workflow_nope' })).statusCode).toBe(404);
    const noOrg = await start({ ...body, dag_id: 'enhanced_mongo_to_postgres_dag', dag_run_id: 'y', task_id: 'load_to_postgres', conf: { table: 't' } });
    expect(noOrg.statusCode).toBe(422);
    expect(noOrg.json<{ error: { message: string } }>().error.message).toContain('conf.org_id');
  });

  it("skips a scheduled Airflow run whose fire time already ran (the builtin engine's fallback while Airflow was down), and records the others' fire times", async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: bearer(t.adminToken), payload: { connectionId: 'af-users', cronExpression: '0 9 * * *', paused: true } });
    expect(created.statusCode, created.body).toBe(201);
    const scheduleId = created.json<{ scheduleId: string }>().scheduleId;
    const dagId = 'etl_workflow_af-users';
    // While Airflow was down, the builtin engine ran 09:00 of 2026-11-20.
    const fellBack = await t.services.engine.runs.createRun({
      orgId: 'default',
      dagId,
      pipeline: t.services.engine.registry.resolve(dagId)!.pipeline,
      connectionId: 'af-users',
      scheduleId,
      fireAt: new Date('2026-11-20T09:00:00Z'),
      trigger: 'schedule',
      note: 'Airflow was unreachable',
    });
    expect(fellBack).not.toBeNull();
    // Airflow, back, catches the same fire time up: every task of its run is skipped, and nothing runs.
    const caughtUp = 'scheduled__2026-11-20T09:00:00+00:00';
    for (const taskId of ['extract', 'send_notification', 'extract']) {
      const res = await start({ dag_id: dagId, dag_run_id: caughtUp, task_id: taskId, try_number: 1, conf: {}, scheduled_for: '2026-11-20T09:00:00+00:00' });
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json<AirflowTaskAttempt>()).toMatchObject({ state: 'skipped', error: expect.stringContaining(fellBack!.runId) });
    }
    expect((await t.app.inject({ method: 'GET', url: `/api/runs/${encodeURIComponent(caughtUp)}`, headers: bearer(t.adminToken) })).statusCode).toBe(404);
    const { rows } = await t.services.db.query<{ id: string }>('SELECT id FROM runs WHERE schedule_id = $1', [scheduleId]);
    expect(rows.map((r) => r.id)).toEqual([fellBack!.runId]);

    // A fire time nobody ran yet is Airflow's: recorded with the schedule and fire time, so no fallback runs it again.
    const next = 'scheduled__2026-11-22T09:00:00+00:00';
    const res = await start({ dag_id: dagId, dag_run_id: next, task_id: 'extract', try_number: 1, conf: {}, scheduled_for: '2026-11-22T09:00:00+00:00' });
    expect(res.statusCode, res.body).toBe(202);
    expect((await poll(dagId, next, 'extract', 1)).state).toBe('success');
    const run = (await t.app.inject({ method: 'GET', url: `/api/runs/${encodeURIComponent(next)}`, headers: bearer(t.adminToken) })).json<RunView>();
    expect(run).toMatchObject({ scheduleId, fireAt: '2026-11-22T09:00:00.000Z', orchestrator: 'airflow' });
    const bad = await start({ dag_id: dagId, dag_run_id: 'x2', task_id: 'extract', try_number: 1, scheduled_for: 'yesterday' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json<{ error: { message: string } }>().error.message).toContain('scheduled_for');
  });
});
