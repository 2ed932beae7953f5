import { afterAll, beforeAll, expect, it } from 'vitest';
import { Scheduler, type RunView } from '../src/engine/index.js';
import { silentLogger } from '../src/logger.js';
import type { Schedule } from '../src/runs/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

/**
 * The first seed's run and scheduler API end to end: a real server and
 * database, the builtin engine running, a fake third-party API on loopback.
 */
describeEachDatabase('runs and schedules API', (fixture) => {
  let t: TestApp;
  let api: FakeApi;
  let hook: WebhookReceiver;
  let other: { token: string };
  let viewer: { token: string };
  const admin = () => bearer(t.adminToken);

  const scheduleBody = (connectionId: string, extra: Record<string, unknown> = {}) => ({
    connectionId,
    scheduleType: 'daily',
    cronExpression: '0 9 * * *',
    workflowConfig: { connectionId, apiConfig: { baseUrl: `${api.url}/users`, method: 'GET' }, parameters: [], fieldMappings: [] },
    ...extra,
  });

  const waitFor = async (runId: string, token = t.adminToken): Promise<RunView> => {
    for (let i = 0; i < 200; i++) {
      const res = await t.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: bearer(token) });
      const run = res.json<RunView>();
      if (['success', 'failed', 'cancelled'].includes(run.state)) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} did not end`);
  };

  beforeAll(async () => {
    api = await startFakeApi();
    hook = await startWebhookReceiver();
    t = await createTestApp(fixture);
    t.services.engine.start();
    other = await t.orgWithUser('runs-other', 'editor');
    viewer = await t.userIn('default', 'viewer');
  });

  afterAll(async () => {
    await t.close();
    await api.close();
    await hook.close();
  });

  it("creates a schedule from the first seed's curl example, fires it once per fire time, and lands the rows", async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: admin(), payload: scheduleBody('test-connection') });
    expect(res.statusCode, res.body).toBe(201);
    const schedule = res.json<Schedule>();
    expect(schedule).toMatchObject({ dagId: 'etl_workflow_test-connection', cronExpression: '0 9 * * *', timezone: 'UTC', orchestrator: 'builtin', paused: false, scheduleType: 'daily' });
    expect(schedule.nextRuns).toHaveLength(5);
    expect(schedule.nextRuns.every((iso) => iso.endsWith('T09:00:00.000Z'))).toBe(true);
    expect(schedule.description).toMatch(/09:00/);
    // It has not fired yet.
    expect(schedule.lastFireAt).toBeNull();
    // The workflowConfig created the connection.
    const conn = await t.app.inject({ method: 'GET', url: '/api/connections/test-connection', headers: admin() });
    expect(conn.statusCode).toBe(200);

    // Time passes to the fire time: a scheduler created for the test sees "now" just after it.
    const fireAt = new Date(schedule.nextFireAt!);
    const scheduler = new Scheduler({
      db: t.services.db,
      runs: t.services.engine.runs,
      schedules: t.services.engine.schedules,
      registry: t.services.engine.registry,
      logger: silentLogger(),
      now: () => new Date(fireAt.getTime() + 1000),
      onRunsCreated: () => t.services.engine.pool.wake(),
    });
    expect(await scheduler.tick()).toBe(1);
    expect(await scheduler.tick()).toBe(0);
    // Now it has: lastFireAt is the fire time of its run.
    const fired = (await t.app.inject({ method: 'GET', url: `/api/scheduler/${schedule.scheduleId}`, headers: admin() })).json<Schedule>();
    expect(fired.lastFireAt).toBe(fireAt.toISOString());

    const list = await t.app.inject({ method: 'GET', url: '/api/runs?connectionId=test-connection', headers: admin() });
    const runs = list.json<{ runs: RunView[] }>().runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ dagId: 'etl_workflow_test-connection', trigger: 'schedule', fireAt: fireAt.toISOString() });
    const done = await waitFor(runs[0]!.runId);
    expect(done.state, JSON.stringify(done.tasks)).toBe('success');
    expect(done.tasks.map((x) => [x.taskId, x.state])).toEqual([
      ['extract', 'success'],
      ['load', 'success'],
      ['health_check', 'success'],
      ['send_notification', 'success'],
    ]);
    expect(done.tasks[0]!.rowsOut).toBe(23);
    expect(done.tasks[1]).toMatchObject({ rowsIn: 23, rowsOut: 23, rowsRejected: 0 });
    const rows = await t.app.inject({ method: 'GET', url: '/api/tables/test_connection/rows?limit=5&orderBy=id', headers: admin() });
    expect(rows.statusCode, rows.body).toBe(200);
    expect(rows.json<{ total: number; rows: { id: number; _sluice_run_id: string }[] }>()).toMatchObject({ total: 23 });
    expect(rows.json<{ rows: { _sluice_run_id: string }[] }>().rows[0]!._sluice_run_id).toBe(done.runId);
  });

  it('runs a connection now and, with ?wait=true, answers the finished run; its logs are served per task', async () => {
    await t.app.inject({ method: 'POST', url: '/api/connections', headers: admin(), payload: { id: 'wait-users', name: 'Wait users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'wait_users', writeMode: 'upsert', primaryKey: ['id'] } } });
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'wait-users' } });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ runId: string; dagId: string; state: string; run: RunView }>();
    expect(body).toMatchObject({ dagId: 'etl_workflow_wait-users', state: 'success' });
    // A person's session: manual, as `sluice run` is; a script's API token: api.
    expect(body.run.trigger).toBe('manual');
    const token = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: admin(), payload: { name: 'script', role: 'editor' } });
    expect(token.statusCode, token.body).toBe(201);
    const scripted = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(token.json<{ token: string }>().token), payload: { connectionId: 'wait-users' } });
    expect(scripted.statusCode, scripted.body).toBe(202);
    expect((await waitFor(scripted.json<{ runId: string }>().runId)).trigger).toBe('api');

    const logs = await t.app.inject({ method: 'GET', url: `/api/runs/${body.runId}/logs?taskId=extract`, headers: admin() });
    const lines = logs.json<{ logs: { taskId: string; message: string }[] }>().logs;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.taskId === 'extract')).toBe(true);
    expect(lines.some((l) => l.message.includes('extracted 23 records'))).toBe(true);

    // Without wait: 202 with the queued run. Upsert on id: a second run leaves 23 rows.
    const queued = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: admin(), payload: { connectionId: 'wait-users' } });
    expect(queued.statusCode).toBe(202);
    expect(queued.json<{ state: string }>().state).toBe('queued');
    expect((await waitFor(queued.json<{ runId: string }>().runId)).state).toBe('success');
    const rows = await t.app.inject({ method: 'GET', url: '/api/tables/wait_users/rows?limit=1', headers: admin() });
    expect(rows.json<{ total: number }>().total).toBe(23);
  });

  it('retries only what failed: a failed extract runs again after the connection is fixed', async () => {
    await t.app.inject({ method: 'POST', url: '/api/connections', headers: admin(), payload: { id: 'broken-source', name: 'Broken', apiConfig: { baseUrl: `${api.url}/not-found` }, destination: { table: 'broken_source' } } });
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'broken-source' } });
    const failed = res.json<{ run: RunView }>().run;
    expect(failed.state).toBe('failed');
    expect(failed.tasks[0]).toMatchObject({ taskId: 'extract', state: 'failed', tryNumber: 1, errorCode: 'source_http_error' });
    expect(failed.tasks[1]!.state).toBe('upstream_failed');
    expect(failed.tasks[3]!.state).toBe('success'); // send_notification reports failures too

    await t.app.inject({ method: 'PATCH', url: '/api/connections/broken-source', headers: admin(), payload: { apiConfig: { baseUrl: `${api.url}/users` } } });
    const retry = await t.app.inject({ method: 'POST', url: `/api/runs/${failed.runId}/retry`, headers: admin() });
    expect(retry.statusCode, retry.body).toBe(200);
    const done = await waitFor(failed.runId);
    expect(done.state).toBe('success');
    expect(done.tasks.map((x) => x.tryNumber)).toEqual([2, 1, 1, 2]);
    const again = await t.app.inject({ method: 'POST', url: `/api/runs/${failed.runId}/retry`, headers: admin() });
    expect(again.statusCode).toBe(409);
  });

  it('advances the incremental cursor once the load committed, and sends it on the next run', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/connections',
      headers: admin(),
      payload: {
        id: 'incremental-users',
        name: 'Incremental',
        apiConfig: { baseUrl: `${api.url}/users` },
        parameters: [{ name: 'since', in: 'query', value: '{{ cursor }}' }],
        incremental: { cursorField: 'updated_at' },
        destination: { table: 'incremental_users', writeMode: 'upsert', primaryKey: ['id'] },
      },
    });
    const first = (await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'incremental-users' } })).json<{ run: RunView }>().run;
    expect(first.state).toBe('success');
    const conn = (await t.app.inject({ method: 'GET', url: '/api/connections/incremental-users', headers: admin() })).json<{ cursor: unknown; lastRunAt: string }>();
    expect(conn.cursor).toBe(api.users.at(-1)!.updated_at);
    expect(conn.lastRunAt).toBe(first.startedAt);
    api.requests.length = 0;
    await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'incremental-users' } });
    expect(api.requestsTo('/users')[0]!.query.since).toBe(api.users.at(-1)!.updated_at);
  });

  it('cancels a run whose extract is waiting on a slow API', async () => {
    await t.app.inject({ method: 'POST', url: '/api/connections', headers: admin(), payload: { id: 'slow-source', name: 'Slow', apiConfig: { baseUrl: `${api.url}/slow` }, destination: { table: 'slow_source' } } });
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: admin(), payload: { connectionId: 'slow-source' } });
    const { runId } = res.json<{ runId: string }>();
    for (let i = 0; i < 50; i++) {
      const run = (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: admin() })).json<RunView>();
      if (run.tasks[0]!.state === 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const cancel = await t.app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel`, headers: admin() });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const done = await waitFor(runId);
    expect(done.state).toBe('cancelled');
    expect(done.tasks.map((x) => x.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
  });

  it('answers 422 naming the field for a bad CRON or time zone, and creates nothing', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: admin(), payload: scheduleBody('bad-cron', { cronExpression: '61 * * * *', timezone: 'Mars/Olympus' }) });
    expect(bad.statusCode).toBe(422);
    const error = bad.json<{ error: { code: string; details: { issues: { field: string }[] } } }>().error;
    expect(error.code).toBe('invalid_config');
    expect(error.details.issues.map((i) => i.field).sort()).toEqual(['cronExpression', 'timezone']);
    expect((await t.app.inject({ method: 'GET', url: '/api/connections/bad-cron', headers: admin() })).statusCode).toBe(404);

    const badConfig = await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: admin(), payload: scheduleBody('bad-config', { workflowConfig: { apiConfig: { baseUrl: 'not a url' } } }) });
    expect(badConfig.statusCode).toBe(422);
    expect(badConfig.json<{ error: { message: string } }>().error.message).toContain('workflowConfig.apiConfig.baseUrl');
  });

  it('answers 404 naming connectionId for a connection that does not exist', async () => {
    for (const [url, payload] of [
      ['/api/scheduler', { connectionId: 'nope', cronExpression: '0 9 * * *' }],
      ['/api/execute-run', { connectionId: 'nope' }],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url, headers: admin(), payload });
      expect(res.statusCode).toBe(404);
      expect(res.json<{ error: { message: string } }>().error.message).toMatch(/^connectionId: /);
    }
  });

  it('pauses, resumes, changes and deletes a schedule; a paused schedule does not fire', async () => {
    const created = (await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: admin(), payload: scheduleBody('pausable', { scheduleType: 'hourly', cronExpression: undefined, timezone: 'Europe/Berlin' }) })).json<Schedule>();
    expect(created.cronExpression).toBe('0 * * * *');
    const paused = await t.app.inject({ method: 'PATCH', url: `/api/scheduler/${created.scheduleId}`, headers: admin(), payload: { paused: true } });
    expect(paused.json<Schedule>().paused).toBe(true);
    const scheduler = new Scheduler({
      db: t.services.db,
      runs: t.services.engine.runs,
      schedules: t.services.engine.schedules,
      registry: t.services.engine.registry,
      logger: silentLogger(),
      now: () => new Date(Date.now() + 3 * 3600_000),
    });
    await scheduler.tick();
    const runs = await t.app.inject({ method: 'GET', url: '/api/runs?connectionId=pausable', headers: admin() });
    expect(runs.json<{ runs: unknown[] }>().runs).toHaveLength(0);

    const changed = await t.app.inject({ method: 'PATCH', url: `/api/scheduler/${created.scheduleId}`, headers: admin(), payload: { paused: false, cronExpression: '30 9 * * 1-5' } });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json<Schedule>()).toMatchObject({ paused: false, cronExpression: '30 9 * * 1-5', scheduleType: 'custom', timezone: 'Europe/Berlin' });
    // 09:30 in Berlin in winter is 08:30 UTC, on weekdays only.
    for (const iso of changed.json<Schedule>().nextRuns) {
      expect(iso).toMatch(/T08:30:00\.000Z$/);
      expect([0, 6]).not.toContain(new Date(iso).getUTCDay());
    }
    const badPatch = await t.app.inject({ method: 'PATCH', url: `/api/scheduler/${created.scheduleId}`, headers: admin(), payload: { cronExpression: 'every day' } });
    expect(badPatch.statusCode).toBe(422);

    expect((await t.app.inject({ method: 'DELETE', url: `/api/scheduler/${created.scheduleId}`, headers: admin() })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: `/api/scheduler/${created.scheduleId}`, headers: admin() })).statusCode).toBe(404);
  });

  it("changes a connection's schedule when the first seed's payload is sent again (200), keeping one schedule", async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/api/scheduler', headers: admin() })).json<{ schedules: Schedule[] }>().schedules;
    const current = before.find((x) => x.connectionId === 'test-connection')!;
    const again = await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: admin(), payload: { ...scheduleBody('test-connection'), cronExpression: '0 10 * * *', timezone: 'Europe/Paris' } });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<Schedule>()).toMatchObject({ scheduleId: current.scheduleId, cronExpression: '0 10 * * *', timezone: 'Europe/Paris', dagId: 'etl_workflow_test-connection' });
    const after = (await t.app.inject({ method: 'GET', url: '/api/scheduler', headers: admin() })).json<{ schedules: Schedule[] }>().schedules;
    expect(after.filter((x) => x.connectionId === 'test-connection')).toHaveLength(1);
    // A bad expression changes nothing.
    const bad = await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: admin(), payload: { connectionId: 'test-connection', cronExpression: '61 * * * *' } });
    expect(bad.statusCode).toBe(422);
    expect((await t.app.inject({ method: 'GET', url: `/api/scheduler/${current.scheduleId}`, headers: admin() })).json<Schedule>().cronExpression).toBe('0 10 * * *');
  });

  it('sends the run notification to a webhook, signed', async () => {
    const target = await t.app.inject({ method: 'POST', url: '/api/notifications', headers: admin(), payload: { kind: 'webhook', url: hook.url, connectionId: 'wait-users' } });
    expect(target.statusCode, target.body).toBe(201);
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true', headers: admin(), payload: { connectionId: 'wait-users' } });
    const run = res.json<{ run: RunView }>().run;
    expect(run.state).toBe('success');
    const delivered = hook.received.map((r) => JSON.parse(r.body) as { event: string; run: { runId: string } });
    expect(delivered).toContainEqual(expect.objectContaining({ event: 'run.succeeded', run: expect.objectContaining({ runId: run.runId }) }));
    expect(hook.received[0]!.headers['x-sluice-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(run.tasks[3]!.output).toMatchObject({ event: 'run.succeeded', sent: 1 });
  });

  it("keeps organisations apart: another org can neither see nor touch a run or schedule", async () => {
    const runs = (await t.app.inject({ method: 'GET', url: '/api/runs', headers: admin() })).json<{ runs: RunView[] }>().runs;
    const runId = runs[0]!.runId;
    const schedules = (await t.app.inject({ method: 'GET', url: '/api/scheduler', headers: admin() })).json<{ schedules: Schedule[] }>().schedules;
    const scheduleId = schedules[0]!.scheduleId;
    const as = bearer(other.token);
    expect((await t.app.inject({ method: 'GET', url: '/api/runs', headers: as })).json<{ runs: unknown[] }>().runs).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/api/scheduler', headers: as })).json<{ schedules: unknown[] }>().schedules).toEqual([]);
    for (const [method, url] of [
      ['GET', `/api/runs/${runId}`],
      ['GET', `/api/runs/${runId}/logs`],
      ['POST', `/api/runs/${runId}/cancel`],
      ['POST', `/api/runs/${runId}/retry`],
      ['GET', `/api/scheduler/${scheduleId}`],
      ['DELETE', `/api/scheduler/${scheduleId}`],
    ] as const) {
      expect((await t.app.inject({ method, url, headers: as })).statusCode, `${method} ${url}`).toBe(404);
    }
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/scheduler/${scheduleId}`, headers: as, payload: { paused: true } });
    expect(patch.statusCode).toBe(404);
    const trigger = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: as, payload: { connectionId: 'test-connection' } });
    expect(trigger.statusCode).toBe(404);
    // The schedule is untouched.
    expect((await t.app.inject({ method: 'GET', url: `/api/scheduler/${scheduleId}`, headers: admin() })).json<Schedule>().paused).toBe(false);
  });

  it('lets a viewer read runs but not start, cancel or schedule them', async () => {
    const as = bearer(viewer.token);
    expect((await t.app.inject({ method: 'GET', url: '/api/runs', headers: as })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: as, payload: { connectionId: 'test-connection' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/scheduler', headers: as, payload: { connectionId: 'test-connection', cronExpression: '0 1 * * *' } })).statusCode).toBe(403);
  });

  it('records runs and schedules in the audit trail, with secrets of workflowConfig masked', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/scheduler',
      headers: admin(),
      payload: scheduleBody('secret-conn', { workflowConfig: { apiConfig: { baseUrl: `${api.url}/bearer`, auth: { type: 'bearer', token: 'super-secret-token' } } } }),
    });
    const audit = await t.app.inject({ method: 'GET', url: '/api/audit?limit=200', headers: admin() });
    expect(audit.body).not.toContain('super-secret-token');
    const actions = audit.json<{ events: { action: string }[] }>().events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['schedule.create', 'run.execute', 'run.retry', 'run.cancel', 'schedule.update', 'schedule.delete']));
  });
});
