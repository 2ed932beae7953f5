import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunView } from '../src/engine/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';

/**
 * What the web app reads from the API to show a new user what happened
 * (issue 16): a run's log known to be complete, a connection's latest run
 * whatever its state, the upload limit, a schedule described while it is
 * typed, the audit trail's actors by name, and /api/docs without a
 * Content-Security-Policy the page breaks.
 */
describeEachDatabase('what the web app reads', (fixture) => {
  let t: TestApp;
  let api: FakeApi;
  const admin = () => bearer(t.adminToken);

  const waitFor = async (runId: string): Promise<RunView> => {
    for (let i = 0; i < 300; i++) {
      const run = (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: admin() })).json<RunView>();
      if (['success', 'failed', 'cancelled'].includes(run.state)) return run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} did not end`);
  };
  const connection = async (id: string, path: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/connections', headers: admin(), payload: { id, name: `Connection ${id}`, apiConfig: { baseUrl: `${api.url}${path}` } } });
    expect(res.statusCode, res.body).toBe(201);
  };

  beforeAll(async () => {
    api = await startFakeApi();
    // The engine starts in the first test, once a run has been seen queued.
    t = await createTestApp(fixture, { SLUICE_MAX_UPLOAD_MB: '3' });
  });
  afterAll(async () => {
    await t?.close();
    await api?.close();
  });

  it("says a run's log is complete only once the run had ended before its lines were read", async () => {
    await connection('web-logs', '/users');
    const started = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: admin(), payload: { connectionId: 'web-logs' } });
    expect(started.statusCode, started.body).toBe(202);
    const { runId } = started.json<{ runId: string }>();

    // Queued (no worker yet): lines may still come.
    const early = await t.app.inject({ method: 'GET', url: `/api/runs/${runId}/logs`, headers: admin() });
    expect(early.statusCode, early.body).toBe(200);
    expect(early.json()).toMatchObject({ logs: [], complete: false });

    t.services.engine.start();
    const run = await waitFor(runId);
    expect(run.state).toBe('success');
    const logs = await t.app.inject({ method: 'GET', url: `/api/runs/${runId}/logs`, headers: admin() });
    const body = logs.json<{ logs: { taskId: string; message: string }[]; complete: boolean }>();
    expect(body.complete).toBe(true);
    // Complete means every task's last line is there.
    for (const task of run.tasks) expect(body.logs.some((l) => l.taskId === task.taskId && l.message === 'finished'), task.taskId).toBe(true);
    // Of one task too.
    const one = await t.app.inject({ method: 'GET', url: `/api/runs/${runId}/logs?taskId=extract`, headers: admin() });
    expect(one.json()).toMatchObject({ complete: true });
  });

  it("lists each connection with its latest run, a failed one included, and null for one that never ran", async () => {
    await connection('web-broken', '/not-found');
    await connection('web-idle', '/users');
    const started = await t.app.inject({ method: 'POST', url: '/api/execute-run?wait=true&timeoutSeconds=60', headers: admin(), payload: { connectionId: 'web-broken' } });
    const failed = started.json<{ runId: string; state: string }>();
    expect(failed.state).toBe('failed');

    const list = await t.app.inject({ method: 'GET', url: '/api/connections', headers: admin() });
    expect(list.statusCode, list.body).toBe(200);
    const byId = new Map(list.json<{ connections: { id: string; lastRunAt: string | null; latestRun: { runId: string; state: string; error: string | null } | null }[] }>().connections.map((c) => [c.id, c]));
    // The last successful run's time stays empty (templates read it); the latest run says what happened.
    expect(byId.get('web-broken')).toMatchObject({ lastRunAt: null, latestRun: { runId: failed.runId, state: 'failed' } });
    expect(byId.get('web-broken')!.latestRun!.error).toBeTruthy();
    expect(byId.get('web-idle')!.latestRun).toBeNull();
    expect(byId.get('web-logs')!.latestRun).toMatchObject({ state: 'success' });

    const one = await t.app.inject({ method: 'GET', url: '/api/connections/web-broken', headers: admin() });
    expect(one.json()).toMatchObject({ id: 'web-broken', latestRun: { runId: failed.runId, state: 'failed' } });
    const idle = await t.app.inject({ method: 'GET', url: '/api/connections/web-idle', headers: admin() });
    expect(idle.json()).toMatchObject({ latestRun: null });

    // Another organisation sees none of it.
    const other = await t.orgWithUser('web-other', 'admin');
    const theirs = await t.app.inject({ method: 'GET', url: '/api/connections', headers: bearer(other.token) });
    expect(theirs.json()).toEqual({ connections: [] });
  });

  it('tells the signed-in app the largest upload the server takes', async () => {
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: admin() });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json()).toMatchObject({ limits: { uploadMaxBytes: 3 * 1024 * 1024 } });
  });

  it('describes a schedule while it is typed, with the same 422 as saving it', async () => {
    const viewer = await t.userIn('default', 'viewer');
    const url = `/api/scheduler/describe?cronExpression=${encodeURIComponent('0 9 * * 1-5')}&timezone=Europe/Lisbon`;
    const res = await t.app.inject({ method: 'GET', url, headers: bearer(viewer.token) });
    expect(res.statusCode, res.body).toBe(200);
    const described = res.json<{ scheduleType: string; cronExpression: string; timezone: string; description: string; nextRuns: string[] }>();
    expect(described).toMatchObject({ scheduleType: 'custom', cronExpression: '0 9 * * 1-5', timezone: 'Europe/Lisbon' });
    expect(described.description).toMatch(/09:00 AM, Monday through Friday/);
    expect(described.nextRuns).toHaveLength(5);
    // 09:00 in Lisbon, on weekdays.
    for (const at of described.nextRuns) {
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Lisbon', weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(new Date(at));
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/);
    }

    const preset = await t.app.inject({ method: 'GET', url: '/api/scheduler/describe?scheduleType=hourly', headers: admin() });
    expect(preset.json()).toMatchObject({ scheduleType: 'hourly', cronExpression: '0 * * * *', timezone: 'UTC' });

    const bad = await t.app.inject({ method: 'GET', url: `/api/scheduler/describe?cronExpression=${encodeURIComponent('0 25 * * *')}`, headers: admin() });
    expect(bad.statusCode, bad.body).toBe(422);
    const error = bad.json<{ error: { code: string; details: { issues: { field: string; message: string }[] } } }>().error;
    expect(error.code).toBe('invalid_config');
    expect(error.details.issues.map((i) => i.field)).toEqual(['cronExpression']);

    const zone = await t.app.inject({ method: 'GET', url: '/api/scheduler/describe?scheduleType=daily&timezone=Mars/Olympus', headers: admin() });
    expect(zone.statusCode).toBe(422);
    expect(zone.json<{ error: { details: { issues: { field: string }[] } } }>().error.details.issues.map((i) => i.field)).toEqual(['timezone']);
  });

  it('names the actor of each audit event: a token by its name, a user by e-mail, never by another organisation', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/tokens', headers: admin(), payload: { name: 'nightly-script', role: 'editor' } });
    expect(created.statusCode, created.body).toBe(201);
    const token = created.json<{ token: string }>().token;
    const used = await t.app.inject({ method: 'POST', url: '/api/connections', headers: bearer(token), payload: { id: 'web-by-token', name: 'By token', apiConfig: { baseUrl: `${api.url}/users` } } });
    expect(used.statusCode, used.body).toBe(201);
    await t.services.audit.flush();

    const res = await t.app.inject({ method: 'GET', url: '/api/audit?action=connection.create', headers: admin() });
    const events = res.json<{ events: { target: string; actor: { type: string; id: string | null; name: string | null } }[] }>().events;
    const byToken = events.find((e) => e.target === 'connection:web-by-token')!;
    expect(byToken.actor).toMatchObject({ type: 'token', name: 'nightly-script' });
    expect(byToken.actor.id).toMatch(/^[0-9a-f-]{36}$/);
    const byAdmin = events.find((e) => e.target === 'connection:web-logs')!;
    expect(byAdmin.actor).toMatchObject({ type: 'user', name: 'admin@example.com' });

    // An event of another organisation's actor id in this trail (it never happens, but the join must not name it).
    const other = await t.userIn('web-other', 'admin');
    await t.services.audit.record({ orgId: 'default', actor: { type: 'user', id: other.userId }, action: 'test.foreign', outcome: 'success' });
    await t.services.audit.flush();
    const foreign = await t.app.inject({ method: 'GET', url: '/api/audit?action=test.foreign', headers: admin() });
    expect(foreign.json<{ events: { actor: unknown }[] }>().events[0]!.actor).toEqual({ type: 'user', id: other.userId, name: null });
  });

  it('serves /api/docs with a policy that lets swagger-ui style its page and loads nothing from elsewhere', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(res.statusCode).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));
    expect(directives.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    for (const [name, values] of directives) expect(values.filter((v) => !v.startsWith("'") && v !== 'data:'), name).toEqual([]);
  });
});
