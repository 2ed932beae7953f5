import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunView } from '../src/engine/index.js';
import type { DagRun } from '../src/runs/index.js';
import { startFakeApi, type FakeApi } from './fixtures/fake-api.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';
import { multipart } from './helpers/multipart.js';

/**
 * Many organisations at once, as a platform runs: fifty uploads to one
 * organisation arrive together while two others run their own work. Every
 * run ends, and the others are served while the crowded organisation's
 * queue is still long: no organisation waits behind another's queue.
 * (Before the claim applied its limits in SQL, eleven uploads stalled the
 * whole engine: see src/engine/claim-tasks.ts.)
 */
const UPLOADS = 50;

describeEachDatabase('many organisations at once', (fixture) => {
  let t: TestApp;
  let api: FakeApi;
  let second: { token: string };
  let third: { token: string };

  const upload = (token: string, table: string, i: number) => {
    const body = multipart({ table }, { name: `part-${i}.csv`, content: `sku,qty\nS-${i}-a,${i}\nS-${i}-b,${i + 1}\n` });
    return t.app.inject({ method: 'POST', url: '/api/files/', headers: { ...bearer(token), ...body.headers }, payload: body.payload });
  };
  const runOf = async (runId: string, token: string) => (await t.app.inject({ method: 'GET', url: `/api/runs/${runId}`, headers: bearer(token) })).json<RunView>();
  const loadRunsOf = async (token: string) =>
    (await t.app.inject({ method: 'GET', url: '/api/airflow/status/enhanced_mongo_to_postgres_dag/?limit=200', headers: bearer(token) })).json<{ dag_runs: DagRun[] }>().dag_runs;
  const ended = (run: { state: string }) => ['success', 'failed', 'cancelled'].includes(run.state);

  beforeAll(async () => {
    api = await startFakeApi();
    t = await createTestApp(fixture);
    t.services.engine.start();
    second = await t.orgWithUser('crowd-second', 'editor');
    third = await t.orgWithUser('crowd-third', 'editor');
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  it('ends fifty concurrent uploads of one organisation and serves two others meanwhile', { timeout: 600_000 }, async () => {
    const crowd = await Promise.all(Array.from({ length: UPLOADS }, (_, i) => upload(t.adminToken, 'crowd', i)));
    for (const res of crowd) expect(res.statusCode, res.body).toBe(201);
    const crowdRuns = crowd.map((r) => r.json<{ dag_run_id: string }>().dag_run_id);

    // The two other organisations come after the crowd's fifty runs are queued.
    const secondUploads = await Promise.all([0, 1, 2].map((i) => upload(second.token, 'second', i)));
    for (const res of secondUploads) expect(res.statusCode, res.body).toBe(201);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/connections',
      headers: bearer(third.token),
      payload: { id: 'crowd-third-users', name: 'Users', apiConfig: { baseUrl: `${api.url}/users` }, destination: { table: 'users' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const thirdRuns: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/execute-run', headers: bearer(third.token), payload: { connectionId: 'crowd-third-users' } });
      expect(res.statusCode, res.body).toBe(202);
      thirdRuns.push(res.json<{ runId: string }>().runId);
    }
    const others = [...secondUploads.map((r) => ({ runId: r.json<{ dag_run_id: string }>().dag_run_id, token: second.token })), ...thirdRuns.map((runId) => ({ runId, token: third.token }))];

    // Poll until everything has ended; note how far the crowd's ingest queue was when the others were done.
    let crowdEndedWhenOthersDone: number | undefined;
    let progress = { ended: -1, polls: 0 };
    for (;;) {
      const crowdStates = await Promise.all(crowdRuns.map((id) => runOf(id, t.adminToken)));
      const otherStates = await Promise.all(others.map((o) => runOf(o.runId, o.token)));
      if (crowdEndedWhenOthersDone === undefined && otherStates.every(ended)) crowdEndedWhenOthersDone = crowdStates.filter(ended).length;
      if (crowdStates.every(ended) && otherStates.every(ended)) {
        expect(crowdStates.filter((r) => r.state !== 'success').map((r) => [r.runId, r.state, r.tasks])).toEqual([]);
        expect(otherStates.filter((r) => r.state !== 'success').map((r) => [r.runId, r.state, r.tasks])).toEqual([]);
        break;
      }
      // A stall, not slowness: nothing ended over a few hundred polls.
      const endedNow = crowdStates.filter(ended).length + otherStates.filter(ended).length;
      progress = endedNow === progress.ended ? { ended: endedNow, polls: progress.polls + 1 } : { ended: endedNow, polls: 0 };
      expect(progress.polls, `no run ended over ${progress.polls} polls: the engine stalled with ${endedNow} runs ended`).toBeLessThan(400);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The others did not wait for the crowd's queue to drain.
    expect(crowdEndedWhenOthersDone).toBeLessThan(UPLOADS);

    // And the load runs the ingests triggered end too, with every row in place.
    for (let i = 0; ; i++) {
      const loads = await loadRunsOf(t.adminToken);
      if (loads.length === UPLOADS && loads.every(ended)) {
        expect(loads.filter((r) => r.state !== 'success')).toEqual([]);
        break;
      }
      expect(i, 'the load runs did not all end').toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 100));
    }
    const tables = (await t.app.inject({ method: 'GET', url: '/api/tables', headers: bearer(t.adminToken) })).json<{ tables: { name: string; rowCount: number }[] }>().tables;
    expect(tables.find((x) => x.name === 'crowd')?.rowCount).toBe(UPLOADS * 2);
  });
});
