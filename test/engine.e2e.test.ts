import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, PostgresDatabase, type Database } from '../src/db/index.js';
import type { RunView } from '../src/engine/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { runSluice, startSluice, startSluiceWorker, type RunningSluice } from './helpers/cli.js';
import { createServerDatabase, TEST_DATABASE_URL } from './helpers/databases.js';
import { sleep, until } from './helpers/wait.js';

/**
 * The engine across real processes: workers killed with SIGKILL mid-task,
 * two schedulers racing for the same fire times, and `sluice run`.
 */
const SECRET = 'test secret key of at least thirty-two characters';
const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `sluice-${name}-`));

describe.runIf(TEST_DATABASE_URL)('the engine across processes on a PostgreSQL server', () => {
  let server: { url: string; drop: () => Promise<void> };
  let db: Database;
  let t: TestApp;
  let api: FakeApi;
  const children: RunningSluice[] = [];
  const childEnv = () => ({
    DATABASE_URL: server.url,
    SLUICE_SECRET_KEY: SECRET,
    SLUICE_HTTP_ALLOW_PRIVATE: 'true',
    SLUICE_TASK_LEASE_SECONDS: '5',
    SLUICE_DATA_DIR: path.join(tmp('data'), '.sluice'),
    PG_DB_PREFIX: t.services.config.warehousePrefix,
  });

  beforeAll(async () => {
    server = await createServerDatabase();
    db = new PostgresDatabase({ url: server.url, poolMax: 5 });
    await migrate(db);
    api = await startFakeApi();
    // This process serves the API only: the children do the work.
    t = await createTestApp({ db, url: server.url }, { SLUICE_WORKER_CONCURRENCY: '0', SLUICE_SECRET_KEY: SECRET });
  });

  afterAll(async () => {
    for (const c of children) if (c.process.exitCode === null) c.process.kill('SIGKILL');
    await t?.close();
    await api?.close();
    await db?.close();
    await server?.drop();
  });

  it('fails and retries at once the task of a worker killed with SIGKILL mid-task, long before its lease ends; nothing is stuck', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/connections',
      headers: bearer(t.adminToken),
      payload: { id: 'killed-worker', name: 'Slow users', apiConfig: { baseUrl: `${api.url}/slow` }, destination: { table: 'killed_worker', writeMode: 'append' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    // An hour's lease: only knowing that the first worker's process died can bring its task back in time.
    const env = { ...childEnv(), SLUICE_TASK_LEASE_SECONDS: '3600' };
    const first = await startSluiceWorker({ cwd: tmp('worker1'), env });
    children.push(first);
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(t.adminToken), payload: { connectionId: 'killed-worker' } });
    const { runId } = res.json<{ runId: string }>();

    // The worker has claimed extract and is waiting on the slow API: kill it there.
    await until('the first worker to start extract', async () => {
      const { rows } = await db.query<{ worker: string }>("SELECT worker FROM task_attempts WHERE run_id = $1 AND task_id = 'extract' AND state = 'running'", [runId]);
      return rows[0]?.worker === first.id;
    }, 30_000);
    first.process.kill('SIGKILL');
    await first.stop();

    const second = await startSluiceWorker({ cwd: tmp('worker2'), env });
    children.push(second);
    const done = await until(
      'the run to end',
      async () => {
        const run = (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: bearer(t.adminToken) })).json<RunView>();
        return ['success', 'failed', 'cancelled'].includes(run.state) ? run : undefined;
      },
      40_000,
    );
    expect(done.state, JSON.stringify(done.tasks)).toBe('success');
    expect(done.tasks[0]).toMatchObject({ taskId: 'extract', tryNumber: 2, rowsOut: 23 });
    const { rows: attempts } = await db.query<{ try_number: number; worker: string; state: string; error: string | null }>(
      "SELECT try_number, worker, state, error FROM task_attempts WHERE run_id = $1 AND task_id = 'extract' ORDER BY try_number",
      [runId],
    );
    expect(attempts.map((a) => [a.try_number, a.worker, a.state])).toEqual([
      [1, first.id, 'failed'],
      [2, second.id, 'success'],
    ]);
    expect(attempts[0]!.error).toContain(`${first.id}) is gone: its process (${os.hostname()} pid ${first.process.pid}) is no longer running`);
    const rows = await t.app.inject({ method: 'GET', url: '/api/tables/killed_worker/rows?limit=1', headers: bearer(t.adminToken) });
    expect(rows.json<{ total: number }>().total).toBe(23);
    const { rows: stuck } = await db.query("SELECT 1 FROM task_instances WHERE state = 'running'");
    expect(stuck).toHaveLength(0);
    await second.stop();
  }, 90_000);

  it('serves a worker\'s own metrics on SLUICE_WORKER_METRICS_PORT: the attempts it ran, behind the token, and nothing else', async () => {
    const token = 'worker-metrics-token-of-at-least-32-chars';
    const worker = await startSluiceWorker({ cwd: tmp('worker-metrics'), env: { ...childEnv(), SLUICE_WORKER_METRICS_PORT: '0', SLUICE_METRICS_TOKEN: token } });
    children.push(worker);
    const url = await until('the worker to say where its metrics are', async () => /Its metrics are at (http:\/\/\S+)/.exec(worker.output())?.[1], 10_000);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/connections',
      headers: bearer(t.adminToken),
      payload: { id: 'worker-metrics', name: 'Users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'worker_metrics' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const res = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(t.adminToken), payload: { connectionId: 'worker-metrics' } });
    const { runId } = res.json<{ runId: string }>();
    await until('the run to succeed', async () => (await t.services.engine.runs.findById(runId))?.state === 'success', 40_000);

    expect((await fetch(url)).status).toBe(401);
    const scraped = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toMatch(/^sluice_task_attempts_total\{pipeline="etl_workflow",task="extract",outcome="success"\} 1$/m);
    expect(text).toMatch(/^sluice_worker_slots 4$/m);
    expect((await fetch(new URL('/api/health', url))).status).toBe(404);
    expect(await worker.stop()).toBe(0);
  }, 90_000);

  it('fires each due schedule exactly once while two scheduler processes race for it', async () => {
    const count = 20;
    for (let i = 0; i < count; i++) {
      const connectionId = `race-${i}`;
      await t.services.connections.create('default', { id: connectionId, name: connectionId, apiConfig: { baseUrl: `${api.url}/users` } }, { type: 'system', id: 'test' });
      // A yearly schedule last handled just before its 2026-01-01 fire time: due once, and not again for a year.
      await t.services.engine.schedules.create(
        {
          orgId: 'default',
          connectionId,
          dagId: `etl_workflow_${connectionId}`,
          scheduleType: 'custom',
          cronExpression: '0 0 1 1 *',
          timezone: 'UTC',
          paused: false,
          overlapPolicy: 'queue',
          missedRunPolicy: 'latest',
          missedRunWindowSeconds: 86_400,
          maxActiveRuns: 1,
          orchestrator: 'builtin',
          nextFireAt: new Date('2026-01-01T00:00:00Z'),
          createdBy: null,
        },
        new Date('2025-12-31T23:00:00Z'),
      );
    }
    // Two full servers with their schedulers on, and no workers so the runs stay to be counted.
    const env = () => ({ ...childEnv(), SLUICE_WORKER_CONCURRENCY: '0' });
    const [a, b] = await Promise.all([startSluice({ cwd: tmp('sched-a'), env: env() }), startSluice({ cwd: tmp('sched-b'), env: env() })]);
    children.push(a, b);
    await until('every schedule to fire', async () => {
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM runs WHERE trigger = 'schedule' AND connection_id LIKE 'race-%'");
      return rows[0]!.n >= count;
    }, 30_000);
    await sleep(2500); // several more ticks of both schedulers
    const { rows } = await db.query<{ connection_id: string; n: number; fire_at: Date }>(
      "SELECT connection_id, count(*)::int AS n, min(fire_at) AS fire_at FROM runs WHERE trigger = 'schedule' AND connection_id LIKE 'race-%' GROUP BY connection_id",
    );
    expect(rows).toHaveLength(count);
    expect(rows.every((r) => r.n === 1 && r.fire_at.toISOString() === '2026-01-01T00:00:00.000Z')).toBe(true);
    const { rows: next } = await db.query<{ next_fire_at: Date }>("SELECT DISTINCT next_fire_at FROM schedules WHERE connection_id LIKE 'race-%'");
    expect(next.map((r) => r.next_fire_at.toISOString())).toEqual(['2027-01-01T00:00:00.000Z']);
    await Promise.all([a.stop(), b.stop()]);
  }, 90_000);
});

describe('sluice run', () => {
  let api: FakeApi;
  const cwd = tmp('run');
  const env = { SLUICE_HTTP_ALLOW_PRIVATE: 'true', SLUICE_ADMIN_PASSWORD: 'admin-password-1' };

  beforeAll(async () => {
    api = await startFakeApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('runs a connection through the running server, and in its own process when none runs', async () => {
    const server = await startSluice({ cwd, env });
    try {
      const login = await fetch(new URL('/api/auth/login', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@sluice.local', password: 'admin-password-1' }),
      });
      const { token } = (await login.json()) as { token: string };
      for (const [id, pathname] of [
        ['cli-users', '/users'],
        ['cli-broken', '/not-found'],
      ]) {
        const res = await fetch(new URL('/api/connections', server.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ id, name: id, apiConfig: { baseUrl: `${api.url}${pathname}` } }),
        });
        expect(res.status).toBe(201);
      }
      const viaServer = await runSluice(['run', 'cli-users', '--wait'], { cwd, env, timeoutMs: 60_000 });
      expect(viaServer.code, viaServer.stderr).toBe(0);
      expect(viaServer.stderr).toContain('queued on the running server');
      expect(viaServer.stdout).toMatch(/of etl_workflow_cli-users: success/);
      expect(viaServer.stdout).toMatch(/extract\s+success\s+try 1\s+out 23/);
    } finally {
      await server.stop();
    }

    const here = await runSluice(['run', 'cli-users', '--json'], { cwd, env, timeoutMs: 60_000 });
    expect(here.code, here.stderr).toBe(0);
    const run = JSON.parse(here.stdout) as RunView;
    expect(run).toMatchObject({ state: 'success', trigger: 'manual', orgId: 'default' });
    // Plain lines, not a redrawn bar, when stderr is not a terminal.
    const broken = await runSluice(['run', 'cli-broken', '--wait'], { cwd, env, timeoutMs: 60_000 });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/manual__\S+ extract: failed/);
    expect(broken.stderr).toMatch(/error: run \S+ failed: extract: /);
    const unknown = await runSluice(['run', 'no-such-connection'], { cwd, env, timeoutMs: 60_000 });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no-such-connection');
  }, 120_000);
});
